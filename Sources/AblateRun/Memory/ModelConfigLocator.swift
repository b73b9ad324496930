import AblateCore
import AblateStore
import Foundation

/// Finds the `config.json` of the models a task loads, before the task runs: a local model
/// directory, a hub model's snapshot in the Hugging Face cache (at the commit the plan pinned), or
/// the cached outputs of the task that made it; a LoRA adapter is followed down to its base. A
/// model that a trainer (or a merge) has not made yet has the shape of the model it starts from:
/// fine-tuning keeps the architecture.
/// Each model directory and hub reference is read once, however many tasks load it, and the
/// cache is listed once: a sweep of 10,000 variants names a handful of models, and most of its
/// tasks' outputs do not exist yet.
struct ModelConfigLocator {
    let tasks: PlannedTasksByID
    let cache: TaskCache
    let hub: HubSettings
    /// The fingerprints with an entry in the cache: only their outputs can hold a model now.
    private let cachedFingerprints: Set<String>
    /// Shapes read so far, by model directory (nil: no config there).
    private var shapesByPath: [String: ModelShape?] = [:]
    /// Snapshot folders found so far, by hub repository (nil: not in the hub cache).
    private var snapshotsByRepository: [String: String?] = [:]
    /// The shapes of the models that tasks will make, found so far by the task's id (nil: not
    /// known before it runs): every variant's evaluation follows its trainer to the same base.
    private var shapesByProducer: [String: ModelShape?] = [:]

    init(plan: Plan, cache: TaskCache, hub: HubSettings) {
        tasks = PlannedTasksByID(plan.tasks)
        self.cache = cache
        self.hub = hub
        cachedFingerprints = Set(cache.fingerprints())
    }

    /// The shapes of the task's model inputs that can be read now, by role.
    mutating func shapes(of task: PlannedTask) -> [InputRole: ModelShape] {
        var shapes: [InputRole: ModelShape] = [:]
        for (role, flag) in Self.modelFlags {
            guard let argument = Self.argument(of: task, flag: flag), let shape = shape(of: argument, depth: 0) else { continue }
            shapes[role] = shape
        }
        return shapes
    }

    /// The roles of a task's models and the flags that pass them (`--reward-model`).
    private static let modelFlags: [(InputRole, String)] = [InputRole.model, .referenceModel, .rewardModel, .judgeModel].map { role in
        (role, "--" + role.rawValue.replacingOccurrences(of: "_", with: "-"))
    }

    /// The kinds whose model output has the architecture of their `model:` input.
    private static let shapeKeeping: Set<StageKind> = [.sft, .reward, .dpo, .ppo, .merge]

    /// The argument after a flag (`--reward-model PATH`).
    private static func argument(of task: PlannedTask, flag: String) -> CommandArgument? {
        let arguments = task.command.arguments
        guard let index = arguments.firstIndex(where: { isFlag($0, flag) }), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    private static func isFlag(_ argument: CommandArgument, _ flag: String) -> Bool {
        guard argument.parts.count == 1, case .literal(let text) = argument.parts[0] else { return false }
        return text == flag
    }

    /// The shape of the model an argument names: read from its files, or, for a model a
    /// shape-keeping task has not made yet, the shape of that task's own model input.
    private mutating func shape(of argument: CommandArgument, depth: Int) -> ModelShape? {
        if let path = path(of: argument), let shape = shape(at: path) { return shape }
        guard depth < 16, argument.parts.count == 1, case .taskOutput(let producer, _) = argument.parts[0] else { return nil }
        if let known = shapesByProducer[producer] { return known }
        // Tasks are looked at in place, by their position: copying one costs a retain of each field.
        var shape: ModelShape?
        if let index = tasks.position(of: producer), Self.shapeKeeping.contains(tasks.tasks[index].kind),
            let input = Self.argument(of: tasks.tasks[index], flag: "--model")
        {
            shape = self.shape(of: input, depth: depth + 1)
        }
        shapesByProducer[producer] = shape
        return shape
    }

    /// Where an argument points, when it is a path that exists before the task runs.
    private mutating func path(of argument: CommandArgument) -> String? {
        var text = ""
        for part in argument.parts {
            switch part {
            case .literal(let literal): text += literal
            case .localPath(let path): text += path
            case .taskOutput(let producer, let output):
                guard let index = tasks.position(of: producer) else { return nil }
                if tasks.tasks[index].hubAccess == .online {
                    guard let snapshot = snapshot(ofFetch: tasks.tasks[index]) else { return nil }
                    text += snapshot
                } else {
                    let fingerprint = tasks.tasks[index].fingerprint
                    guard cachedFingerprints.contains(fingerprint.value) else { return nil }
                    text += cache.outputs(fingerprint) + "/" + output
                }
            case .hubSnapshot(let repository):
                guard let snapshot = snapshot(repository.id) else { return nil }
                text += snapshot
            case .outputDirectory: return nil
            }
        }
        return text
    }

    /// A fetch task's snapshot in the hub cache, at the commit it fetches.
    private mutating func snapshot(ofFetch task: PlannedTask) -> String? {
        guard case .string(let repository)? = task.settings["repository"] else { return nil }
        if case .string(let commit)? = task.settings["commit"] { return folder(repository) + "/snapshots/" + commit }
        return snapshot(repository)
    }

    /// A hub model's snapshot at the commit the cache's `main` names.
    private mutating func snapshot(_ repository: String) -> String? {
        if let known = snapshotsByRepository[repository] { return known }
        let snapshot = readSnapshot(repository)
        snapshotsByRepository[repository] = snapshot
        return snapshot
    }

    private func readSnapshot(_ repository: String) -> String? {
        let folder = folder(repository)
        guard let commit = try? String(contentsOfFile: folder + "/refs/main", encoding: .utf8) else { return nil }
        return folder + "/snapshots/" + commit.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func folder(_ repository: String) -> String {
        hub.hubCache + "/models--" + repository.replacingOccurrences(of: "/", with: "--")
    }

    /// The shape of the model at `path`, following adapters (`adapter_config.json`) to their base.
    private mutating func shape(at path: String) -> ModelShape? {
        if let known = shapesByPath[path] { return known }
        let shape = readShape(at: path)
        shapesByPath[path] = shape
        return shape
    }

    private mutating func readShape(at path: String) -> ModelShape? {
        var current = path
        for _ in 0..<16 {
            if let data = FileManager.default.contents(atPath: current + "/config.json") { return ModelShape(configJSON: data) }
            guard let data = FileManager.default.contents(atPath: current + "/adapter_config.json"),
                let adapter = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let base = adapter["base_model_name_or_path"] as? String
            else { return nil }
            guard let next = base.hasPrefix("/") ? base : snapshot(base) else { return nil }
            current = next
        }
        return nil
    }
}
