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

/// The tasks that fetch a study's hub repositories: `fetch[model:llama2-7b]` downloads the
/// repository once into the shared Hugging Face cache (on the submitting machine, which has
/// the network), and every task reading it gets the local snapshot instead of the hub id.
extension CompilationState {
    /// The runner environment the fetch runner runs in (it needs `huggingface_hub`).
    static let fetchEnvironment = "runners"

    /// The command with every hub snapshot replaced by the output of its fetch task.
    mutating func fetching(_ command: TaskCommand, for stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> TaskCommand? {
        var failed = false
        func replaced(_ argument: CommandArgument) -> CommandArgument {
            CommandArgument(
                argument.parts.map { part in
                    guard case .hubSnapshot(let repository) = part else { return part }
                    guard let task = fetchTask(for: repository, stage: stage, &diagnostics) else {
                        failed = true
                        return part
                    }
                    return .taskOutput(task: task, output: "snapshot")
                })
        }
        let result = TaskCommand(
            arguments: command.arguments.map(replaced),
            environment: command.environment.map { EnvironmentVariable(name: $0.name, value: replaced($0.value)) })
        return failed ? nil : result
    }

    /// An lm-eval stage's command with `--fetched` naming the record of each of its tasks' fetch
    /// task, which downloads the datasets the harness's task names into the shared datasets cache
    /// (`fetch[lm-eval:arc_challenge]`); the evaluation then reads them offline.
    mutating func fetchingLMEvalDatasets(
        _ command: TaskCommand, settings: [String: SettingValue], for stage: StageSpec, _ diagnostics: inout DiagnosticLog
    ) -> TaskCommand? {
        guard stage.kind == .lmEval, case .list(let names)? = settings["tasks"], command.arguments.count >= 3 else { return command }
        var taskDirectory: String?
        if case .string(let directory)? = settings["task_dir"] { taskDirectory = directory }
        var records: [CommandArgument] = []
        for case .string(let name) in names {
            guard let task = lmEvalFetchTask(name, taskDirectory: taskDirectory, stage: stage, &diagnostics) else { return nil }
            records.append(CommandArgument([.taskOutput(task: task, output: "fetch.json")]))
        }
        guard !records.isEmpty else { return command }
        var result = command
        // After `PYTHON -m ablate_runners.lm_eval`.
        result.arguments.insert(contentsOf: ["--fetched"] + records, at: 3)
        return result
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
        guard digestLocalPaths(in: command, of: stage, &diagnostics) else { return nil }
        let settings: [String: SettingValue] = ["lm_eval_task": .string(name)]
        let fingerprint = TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests).fingerprint(
            kind: .command, settings: settings, command: command, environment: .runner(Self.fetchEnvironment), inputs: [:])
        var id = FetchTask.id(lmEvalTask: name)
        if taskIDs.contains(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "fetch", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: settings,
            command: command, environment: .runner(Self.fetchEnvironment), resources: TaskResources(), retries: 0, outputs: [],
            metricFiles: [], variants: [], placement: .submittingMachine, hubAccess: .online)
        lmEvalFetchTasks[key] = id
        sharedTasks.insert(id)
        _ = add(task)
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
        if taskIDs.contains(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "fetch", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: settings,
            command: command, environment: .runner(Self.fetchEnvironment), resources: TaskResources(), retries: 0, outputs: ["snapshot"],
            metricFiles: [], variants: [], requiredOutputs: ["snapshot"], placement: .submittingMachine, hubAccess: .online)
        fetchTasks[repository] = id
        sharedTasks.insert(id)
        _ = add(task)
        return id
    }

    private func registryName(of repository: HubRepository) -> String? {
        switch repository.kind {
        case .model: return spec.models.first { $0.hubRepository == repository }?.name
        case .dataset: return spec.datasets.first { $0.hubRepository == repository }?.name
        }
    }
}
