/// Everything ablate knows about one stage kind, in one place: the validator, the schema, the
/// recipes and the runners' manifest are all derived from these values (`StageKinds.table`).
public struct StageKindDescriptor: Sendable {
    /// A named input of the kind.
    public struct Input: Sendable {
        public var role: InputRole
        /// The stage must name it.
        public var required: Bool
        /// The dataset formats it accepts; nil for any (or for a model).
        public var formats: [DatasetFormat]?

        init(_ role: InputRole, required: Bool = true, formats: [DatasetFormat]? = nil) {
            self.role = role
            self.required = required
            self.formats = formats
        }
    }

    /// The Python runner that carries a built-in kind out: `python -m ablate_runners.MODULE`.
    public struct Runner: Sendable {
        public var module: String
        /// Its environment, `Runners/environments/NAME.txt`.
        public var environment: String
        /// Kinds that only measure write their files under the `metrics` output.
        public var outputsUnderMetrics: Bool
        /// It keeps its results per prompt (or the harness's request cache) in the task's
        /// checkpoint folder, so that a later attempt does only the prompts left.
        public var resumesPerItem: Bool
        /// With several GPUs it places its one model across them (lm-eval's HFLM holds a model
        /// it is given in one process).
        public var placesModelAcrossGPUs = false
    }

    public var kind: StageKind
    public var summary: String
    /// The inputs, in the order the runner is given them.
    public var inputs: [Input]
    /// The outputs other stages can reference as `${stages.NAME.OUTPUT}`.
    public var outputs: [String]
    /// The outputs that are models, which `model:`-like inputs may name.
    public var modelOutputs: [String]
    /// The settings it reads, by their names in `SettingCatalog`.
    public var settings: Set<String>
    /// Settings a stage must have after `defaults:` apply.
    public var requiredSettings: [String]
    /// What the runner uses for a setting the spec leaves out, by setting path (`lora.dropout`):
    /// the runners take their defaults from here, and the index records them as the values that ran.
    public var defaults: [String: SettingValue]
    /// The runner, for every kind but `command`.
    public var runner: Runner?

    public var requiredInputs: [InputRole] { inputs.filter(\.required).map(\.role) }

    /// Whether the kind's tasks save checkpoints and continue from them (`checkpoint:`).
    public var resumesFromCheckpoints: Bool { settings.contains("checkpoint") }

    /// Whether the kind's tasks run as one process per GPU (`ablate_runners.launch`) when they
    /// have several GPUs or nodes, sharing the training as `distributed:` says.
    public var trainsOnSeveralProcesses: Bool { settings.contains("distributed") }

    /// Whether the kind's tasks can use several GPUs to sample (`placement:`): batches shared
    /// out over one process per GPU, or one model across them.
    public var samplesOnSeveralGPUs: Bool { settings.contains("placement") }

    /// The processes per node a task of the kind runs under the launcher (one per GPU): a trainer
    /// with several GPUs or nodes, or a sampler with several GPUs that shares its batches out;
    /// nil when it runs as one process.
    public func launchedProcesses(_ resources: TaskResources, settings: [String: SettingValue]) -> Int? {
        if trainsOnSeveralProcesses, resources.gpus > 1 || resources.nodes > 1 { return resources.processesPerNode }
        if samplesOnSeveralGPUs, resources.gpus > 1, settings["placement"] != .string("device_map") { return resources.gpus }
        return nil
    }

    /// Whether a task of the kind keeps progress in its checkpoint folder across attempts
    /// (training checkpoints, or results per prompt).
    public var keepsProgressAcrossAttempts: Bool { resumesFromCheckpoints || runner?.resumesPerItem == true }

    /// The formats an input role accepts, nil for any.
    public func formats(for role: InputRole) -> [DatasetFormat]? {
        inputs.first { $0.role == role }?.formats
    }

    /// `settings` with the runner's defaults filled in where the spec left a setting out: the
    /// values a task runs with.
    public func effectiveSettings(_ settings: [String: SettingValue]) -> [String: SettingValue] {
        var result = settings
        for (path, value) in defaults {
            let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
            if parts.count == 1 {
                if result[path] == nil { result[path] = value }
            } else {
                guard case .map(var fields)? = result[parts[0]] ?? .map([:]) else { continue }
                if fields[parts[1]] == nil { fields[parts[1]] = value }
                result[parts[0]] = .map(fields)
            }
        }
        return result
    }
}

extension StageKind {
    /// This kind's descriptor.
    public var descriptor: StageKindDescriptor { StageKinds.descriptor(self) }

    /// The outputs other stages can reference as `${stages.NAME.OUTPUT}`.
    public var outputs: [String] { descriptor.outputs }

    /// The outputs that are models, which `model:`-like inputs may name.
    public var modelOutputs: [String] { descriptor.modelOutputs }

    /// The named inputs this kind reads, in the order the recipe passes them.
    public var inputRoles: [InputRole] { descriptor.inputs.map(\.role) }

    /// Which of `inputRoles` a stage of this kind must name.
    public var requiredRoles: [InputRole] { descriptor.requiredInputs }
}
