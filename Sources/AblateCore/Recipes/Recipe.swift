/// Turns a stage kind's resolved settings and inputs into the command line of a real tool.
protocol Recipe: Sendable {
    /// The software environment the command needs (issue-free name of a runner environment).
    var environment: String { get }
    /// The program and its arguments, before the stage's pass-through `args:`.
    func arguments(for context: RecipeContext) -> [CommandArgument]
}

/// What a recipe sees of one task.
struct RecipeContext {
    var kind: StageKind
    var settings: [String: SettingValue]
    var inputs: [InputRole: ResolvedInput]

    func setting(_ name: String) -> SettingValue? { settings[name] }

    func lora(_ field: String) -> SettingValue? {
        if case .map(let lora)? = settings["lora"] { return lora[field] }
        return nil
    }

    /// `[flag, value]` when the setting is present, nothing otherwise.
    func flag(_ flag: String, _ setting: String) -> [CommandArgument] {
        guard let value = settings[setting] else { return [] }
        return [.literal(flag), .literal(value.text)]
    }

    /// `[flag, item, item, …]` for list settings.
    func listFlag(_ flag: String, _ setting: String) -> [CommandArgument] {
        guard case .list(let items)? = settings[setting], !items.isEmpty else { return [] }
        return [.literal(flag)] + items.map { .literal($0.text) }
    }

    /// `[flag, path]` for a path setting, as a local path.
    func pathFlag(_ flag: String, _ setting: String) -> [CommandArgument] {
        guard case .string(let path)? = settings[setting] else { return [] }
        return [.literal(flag), CommandArgument([.localPath(path)])]
    }

    /// `[flag, path]` for an input role the stage names.
    func inputFlag(_ flag: String, _ role: InputRole) -> [CommandArgument] {
        guard let input = inputs[role] else { return [] }
        return [.literal(flag), input.argument]
    }
}

/// An input after the variant's references are resolved.
enum ResolvedInput {
    case model(ModelEntry)
    case dataset(DatasetEntry)
    case taskOutput(task: String, output: String)

    /// The input as one argument: a hub id, a local path, or another task's output path.
    var argument: CommandArgument {
        switch self {
        case .model(let model): return Self.argument(for: model.source)
        case .dataset(let dataset): return Self.argument(for: dataset.source)
        case .taskOutput(let task, let output): return CommandArgument([.taskOutput(task: task, output: output)])
        }
    }

    private static func argument(for source: ArtifactSource) -> CommandArgument {
        switch source {
        case .hub(let id, _): return .literal(id)
        case .local(let path, _): return CommandArgument([.localPath(path)])
        }
    }

    var dataset: DatasetEntry? {
        if case .dataset(let dataset) = self { return dataset }
        return nil
    }
}

/// The recipe of every built-in stage kind (`command` stages build their own command).
enum RecipeBook {
    static func recipe(for kind: StageKind) -> (any Recipe)? {
        switch kind {
        case .sft, .reward, .dpo: return TRLTrainingRecipe()
        case .ppo: return RunnerRecipe(module: "ppo", environment: "trl-ppo")
        case .bon: return RunnerRecipe(module: "bon", environment: "runners")
        case .generate: return RunnerRecipe(module: "generate", environment: "runners")
        case .diversity: return RunnerRecipe(module: "diversity", environment: "runners")
        case .judge: return RunnerRecipe(module: "judge", environment: "runners")
        case .linguistic: return RunnerRecipe(module: "linguistic", environment: "linguistic")
        case .lmEval: return LMEvalRecipe()
        case .command: return nil
        }
    }
}
