/// Turns a stage kind's resolved settings and inputs into the command line of a real tool.
protocol Recipe: Sendable {
    /// The runner environment the command needs: `Runners/environments/NAME.txt`.
    var environment: String { get }
    /// The interpreter's arguments, before the stage's pass-through `args:`; the interpreter
    /// itself (the environment's Python, or the stage's `python:`) is put in front of them.
    func arguments(for context: RecipeContext) -> [CommandArgument]
}

/// What a recipe sees of one task.
struct RecipeContext {
    var kind: StageKind
    var settings: [String: SettingValue]
    var inputs: [InputRole: ResolvedInput]
    var resources: TaskResources
}

/// An input after the variant's references are resolved.
enum ResolvedInput {
    case model(ModelEntry)
    case dataset(DatasetEntry)
    case taskOutput(task: String, output: String)

    /// The input as one argument: a hub repository's local snapshot, a local path, or another
    /// task's output path.
    var argument: CommandArgument {
        switch self {
        case .model(let model): return Self.argument(for: model.source, hubRepository: model.hubRepository)
        case .dataset(let dataset): return Self.argument(for: dataset.source, hubRepository: dataset.hubRepository)
        case .taskOutput(let task, let output): return CommandArgument([.taskOutput(task: task, output: output)])
        }
    }

    private static func argument(for source: ArtifactSource, hubRepository: HubRepository?) -> CommandArgument {
        if let hubRepository { return CommandArgument([.hubSnapshot(hubRepository)]) }
        guard case .local(let path, _) = source else { return "" }
        return CommandArgument([.localPath(path)])
    }

    var dataset: DatasetEntry? {
        if case .dataset(let dataset) = self { return dataset }
        return nil
    }
}

/// The recipe of every built-in stage kind, from its descriptor's runner (`command` stages
/// build their own command).
enum RecipeBook {
    static func recipe(for kind: StageKind) -> (any Recipe)? {
        kind.descriptor.runner.map(RunnerRecipe.init)
    }
}
