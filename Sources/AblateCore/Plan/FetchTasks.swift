/// The names of fetch tasks: `fetch[model:llama2-7b]`, after the kind and the registry name.
public enum FetchTask {
    static func id(kind: HubRepository.Kind, name: String) -> String {
        "fetch[\(kind.rawValue):\(Name.sanitized(name))]"
    }

    static func id(lmEvalTask name: String) -> String {
        "fetch[lm-eval:\(Name.sanitized(name))]"
    }

    /// What a fetch task fetches, in words: `model llama2-7b`.
    public static func subject(ofTask id: String) -> String {
        guard id.hasPrefix("fetch["), let end = id.lastIndex(of: "]") else { return id }
        return id[id.index(id.startIndex, offsetBy: 6)..<end].replacingOccurrences(of: ":", with: " ")
    }
}

extension CompilationState {
    /// The fetch tasks a draft reads: the task that fetches each hub repository its command
    /// names, and those that fetch the datasets of its lm-eval tasks, in their order.
    struct Fetches: Sendable {
        var snapshots: [HubRepository: String] = [:]
        var lmEvalTasks: [String] = []
    }
}

extension TaskCommand {
    /// The command with each hub snapshot read from the output of its fetch task and, for
    /// lm-eval, `--fetched` naming the record of each of its tasks' fetch tasks (after
    /// `PYTHON -m ablate_runners.lm_eval`).
    func fetching(_ fetches: CompilationState.Fetches) -> TaskCommand {
        func replaced(_ argument: CommandArgument) -> CommandArgument {
            // Only an argument with a snapshot changes.
            guard !fetches.snapshots.isEmpty, argument.parts.contains(where: { if case .hubSnapshot = $0 { true } else { false } }) else {
                return argument
            }
            return CommandArgument(
                argument.parts.map { part in
                    guard case .hubSnapshot(let repository) = part, let task = fetches.snapshots[repository] else { return part }
                    return .taskOutput(task: task, output: "snapshot")
                })
        }
        var result = TaskCommand(
            arguments: arguments.map(replaced), environment: environment.map { EnvironmentVariable(name: $0.name, value: replaced($0.value)) })
        if !fetches.lmEvalTasks.isEmpty {
            let records = fetches.lmEvalTasks.map { CommandArgument([.taskOutput(task: $0, output: "fetch.json")]) }
            result.arguments.insert(contentsOf: ["--fetched"] + records, at: 3)
        }
        return result
    }
}

/// The tasks that fetch a study's hub repositories: `fetch[model:llama2-7b]` downloads the
/// repository once into the shared Hugging Face cache (on the submitting machine, which has
/// the network), and every task reading it gets the local snapshot instead of the hub id.
extension CompilationState {
    /// The runner environment the fetch runner runs in (it needs `huggingface_hub`).
    static let fetchEnvironment = "runners"

    /// The fetch tasks that a draft reads, created where it is the first to need them: the
    /// task that fetches each hub repository its command names (which then reads the
    /// repository's snapshot from that task's output), and for lm-eval, the task that fetches
    /// each of its tasks' datasets into the shared datasets cache, so that the evaluation reads
    /// them offline (`fetch[lm-eval:arc_challenge]`).
    mutating func fetches(for draft: Draft, of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> Fetches? {
        var fetches = Fetches()
        var failed = false
        for repository in draft.repositories where fetches.snapshots[repository] == nil {
            guard let task = fetchTask(for: repository, stage: stage, &diagnostics) else {
                failed = true
                continue
            }
            fetches.snapshots[repository] = task
        }
        guard !failed else { return nil }
        let settings = draft.settings.result
        guard stage.kind == .lmEval, case .list(let names)? = settings["tasks"], draft.command.arguments.count >= 3 else { return fetches }
        var taskDirectory: String?
        if case .string(let directory)? = settings["task_dir"] { taskDirectory = directory }
        for case .string(let name) in names {
            guard let task = lmEvalFetchTask(name, taskDirectory: taskDirectory, stage: stage, &diagnostics) else { return nil }
            fetches.lmEvalTasks.append(task)
        }
        return fetches
    }

    private mutating func lmEvalFetchTask(_ name: String, taskDirectory: String?, stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> String? {
        let key = name + "\u{0}" + (taskDirectory ?? "")
        if let id = lmEvalFetchTasks[key] { return id }
        guard let python = environmentTask(Self.fetchEnvironment, for: stage, &diagnostics) else { return nil }
        var arguments: [CommandArgument] = [
            CommandArgument([.taskOutput(task: python, output: "venv/bin/python")]), "-m", "ablate_runners.fetch", "--lm-eval-task", .literal(name),
        ]
        if let taskDirectory { arguments += ["--task-dir", CommandArgument([.localPath(taskDirectory)])] }
        arguments += ["--output", CommandArgument([.outputDirectory])]
        let command = TaskCommand(arguments: arguments, environment: [RunnerPackage.pythonPath])
        guard digest(command.localPaths, of: stage, &diagnostics) else { return nil }
        let settings: [String: SettingValue] = ["lm_eval_task": .string(name)]
        let fingerprint = TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests).fingerprint(
            kind: .command, settings: settings, command: command, environment: .runner(Self.fetchEnvironment), inputs: [:])
        var id = FetchTask.id(lmEvalTask: name)
        if isNamed(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "fetch", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: settings,
            command: command, environment: .runner(Self.fetchEnvironment), resources: TaskResources(), retries: 0, outputs: [],
            metricFiles: [], variants: [], placement: .submittingMachine, hubAccess: .online)
        lmEvalFetchTasks[key] = id
        sharedTasks.append(add(task))
        return id
    }

    /// The task that fetches a repository: one per repository and resolved commit, named after
    /// the first registry entry that names it.
    private mutating func fetchTask(for repository: HubRepository, stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> String? {
        if let id = fetchTasks[repository] { return id }
        guard let python = environmentTask(Self.fetchEnvironment, for: stage, &diagnostics) else { return nil }
        let commit = hubCommits[repository]
        var arguments: [CommandArgument] = [
            CommandArgument([.taskOutput(task: python, output: "venv/bin/python")]), "-m", "ablate_runners.fetch",
            "--repo-type", .literal(repository.kind.rawValue), "--repo-id", .literal(repository.id), "--revision", .literal(repository.revision),
        ]
        if let commit { arguments += ["--commit", .literal(commit)] }
        arguments += ["--output", CommandArgument([.outputDirectory])]
        let command = TaskCommand(arguments: arguments, environment: [RunnerPackage.pythonPath])
        var settings: [String: SettingValue] = ["repository": .string(repository.id), "revision": .string(repository.revision)]
        if let commit { settings["commit"] = .string(commit) }
        let fingerprint = TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests).fingerprint(
            kind: .command, settings: settings, command: command, environment: .runner(Self.fetchEnvironment), inputs: [:])
        var id = FetchTask.id(kind: repository.kind, name: registryName(of: repository) ?? repository.id)
        if isNamed(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "fetch", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: settings,
            command: command, environment: .runner(Self.fetchEnvironment), resources: TaskResources(), retries: 0, outputs: ["snapshot"],
            metricFiles: [], variants: [], requiredOutputs: ["snapshot"], placement: .submittingMachine, hubAccess: .online)
        fetchTasks[repository] = id
        sharedTasks.append(add(task))
        return id
    }

    private func registryName(of repository: HubRepository) -> String? {
        switch repository.kind {
        case .model: return spec.models.first { $0.hubRepository == repository }?.name
        case .dataset: return spec.datasets.first { $0.hubRepository == repository }?.name
        }
    }
}
