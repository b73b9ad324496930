/// One node of the DAG: a stage with fully resolved settings, shared by every variant that
/// needs exactly this computation.
public struct PlannedTask: Codable, Hashable, Sendable, Identifiable {
    /// The readable, directory-safe name: the stage and the axis values it depends on,
    /// `sft[sft_data=lima]`.
    public var id: String
    public var stage: String
    public var kind: StageKind
    public var fingerprint: Fingerprint
    /// The sweep values this task depends on, in axis order.
    public var axisValues: [AxisValue]
    public var inputs: [TaskInput]
    /// Settings after defaults, with durations in seconds and memory in megabytes.
    public var settings: [String: SettingValue]
    public var command: TaskCommand
    /// The software environment the command runs in (a runner environment, or `system`).
    public var environment: TaskEnvironment
    public var resources: TaskResources
    public var retries: Int
    /// How a training task saves the checkpoints a later attempt continues from (nil: it has none,
    /// and a retry starts again). Like resources, not part of the fingerprint.
    public var checkpoint: CheckpointPolicy?
    /// `temporary: true`: its cached outputs are deleted once every task reading them has
    /// completed; a later task that needs them runs it again. Not part of the fingerprint.
    public var temporaryOutputs = false
    public var outputs: [String]
    public var metricFiles: [String]
    /// The variants that use this task.
    public var variants: [String]
    /// Paths below the task's outputs that must still exist for its cached result to count:
    /// an environment task's interpreter, which lives outside the cache.
    public var requiredOutputs: [String]?
    /// Where the task must run, when not wherever the executor puts it (nil).
    public var placement: TaskPlacement?
    /// How the task reaches the Hugging Face Hub: fetch tasks download (nil: offline, as every
    /// stage runs).
    public var hubAccess: HubAccess?

    /// The tasks this task needs, in input order: derived from the inputs, never stored.
    public var dependencies: [String] {
        // Most tasks have a handful, where a linear search costs less than hashing; a task that
        // gathers a sweep has thousands, where a linear search for each took seconds a run.
        var result: [String] = []
        var seen: Set<String> = []
        func note(_ id: String) {
            if result.count < Self.dependenciesSearchedInOrder {
                if !result.contains(id) { result.append(id) }
                return
            }
            if seen.isEmpty { seen = Set(result) }
            if seen.insert(id).inserted { result.append(id) }
        }
        for input in inputs { input.task.map(note) }
        for argument in command.arguments { for case .taskOutput(let task, _) in argument.parts { note(task) } }
        for variable in command.environment { for case .taskOutput(let task, _) in variable.value.parts { note(task) } }
        return result
    }

    /// Up to this many dependencies, each new one is looked for among those found before.
    private static let dependenciesSearchedInOrder = 16
}

/// A constraint on where a task runs.
public enum TaskPlacement: String, Codable, Hashable, Sendable {
    /// On the machine ablate runs on, whatever the executor: the task needs the network
    /// (building an environment with pip), which a cluster's compute nodes often lack.
    case submittingMachine = "submitting-machine"
}

/// How a task reaches the Hugging Face Hub.
public enum HubAccess: String, Codable, Hashable, Sendable {
    /// Online, with the user's Hugging Face cache and token: the task downloads what the study
    /// reads, and every other task then runs offline against the local copy.
    case online
}

/// One axis and the value a task or variant has on it.
public struct AxisValue: Codable, Hashable, Sendable {
    public var axis: String
    public var value: SettingValue
}

/// A task's named input and where it comes from.
public struct TaskInput: Codable, Hashable, Sendable {
    /// Where an input comes from.
    public enum Source: Codable, Hashable, Sendable {
        case task(id: String, output: String)
        case model(name: String)
        case dataset(name: String)

        private enum CodingKeys: String, CodingKey {
            case task, output, model, dataset
        }

        public init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let task = try container.decodeIfPresent(String.self, forKey: .task) {
                self = .task(id: task, output: try container.decode(String.self, forKey: .output))
            } else if let model = try container.decodeIfPresent(String.self, forKey: .model) {
                self = .model(name: model)
            } else {
                self = .dataset(name: try container.decode(String.self, forKey: .dataset))
            }
        }

        public func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .task(let id, let output):
                try container.encode(id, forKey: .task)
                try container.encode(output, forKey: .output)
            case .model(let name): try container.encode(name, forKey: .model)
            case .dataset(let name): try container.encode(name, forKey: .dataset)
            }
        }
    }

    public var role: String
    public var source: Source

    public init(role: String, source: Source) {
        self.role = role
        self.source = source
    }

    public var task: String? {
        if case .task(let id, _) = source { return id }
        return nil
    }
}

/// What a task asks of the machine while it runs.
public struct TaskResources: Codable, Hashable, Sendable {
    /// GPUs on each node the task runs on.
    public var gpus: Int = 0
    public var cpus: Int = 1
    public var memoryMB: Int?
    public var timeLimitSeconds: Int?
    /// Machines the task spans (a Slurm job of that many nodes, one launcher on each).
    public var nodes: Int = 1

    public init(gpus: Int = 0, cpus: Int = 1, memoryMB: Int? = nil, timeLimitSeconds: Int? = nil, nodes: Int = 1) {
        self.gpus = gpus
        self.cpus = cpus
        self.memoryMB = memoryMB
        self.timeLimitSeconds = timeLimitSeconds
        self.nodes = nodes
    }

    private enum CodingKeys: String, CodingKey {
        case gpus, cpus, memoryMB, timeLimitSeconds, nodes
    }

    /// Plans written before `nodes` existed ran on one node.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        gpus = try container.decode(Int.self, forKey: .gpus)
        cpus = try container.decode(Int.self, forKey: .cpus)
        memoryMB = try container.decodeIfPresent(Int.self, forKey: .memoryMB)
        timeLimitSeconds = try container.decodeIfPresent(Int.self, forKey: .timeLimitSeconds)
        nodes = try container.decodeIfPresent(Int.self, forKey: .nodes) ?? 1
    }

    /// The processes a multi-process task runs on each node: one per GPU (one on a node without).
    public var processesPerNode: Int { max(gpus, 1) }
    /// The GPUs a task holds on all its nodes together (what its GPU-hours count).
    public var totalGPUs: Int { gpus * nodes }

    public var summary: String {
        var parts = (nodes > 1 ? ["nodes=\(nodes)"] : []) + ["gpus=\(gpus)", "cpus=\(cpus)"]
        if let memoryMB { parts.append("mem=\(memoryMB >= 1024 && memoryMB % 1024 == 0 ? "\(memoryMB / 1024)G" : "\(memoryMB)M")") }
        if let timeLimitSeconds { parts.append("time=\(Self.formatDuration(timeLimitSeconds))") }
        return parts.joined(separator: " ")
    }

    static func formatDuration(_ seconds: Int) -> String {
        let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")]
        var rest = seconds
        var text = ""
        for (size, unit) in units where rest >= size {
            text += "\(rest / size)\(unit)"
            rest %= size
        }
        return text.isEmpty ? "0s" : text
    }
}
