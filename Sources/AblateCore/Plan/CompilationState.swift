/// The tasks compiled so far and the lookups that merge equal tasks.
struct CompilationState {
    let spec: Spec
    let files: any LocalFiles
    var tasks: [PlannedTask] = []
    var taskByFingerprint: [String: Int] = [:]
    var taskIDs: Set<String> = []
    var fingerprintByID: [String: Fingerprint] = [:]
    let settingsMemo = SettingsMemo()
    /// Content digests of the local models and datasets, by absolute path.
    var fileDigests: [String: String] = [:]
    /// The task that provides each runner environment, by environment name.
    var environmentTasks: [String: String] = [:]
    /// Environments whose requirements are missing, reported once.
    var missingEnvironments: Set<String> = []
    /// The commit each hub repository resolved to.
    let hubCommits: HubCommits
    /// The task that fetches each hub repository.
    var fetchTasks: [HubRepository: String] = [:]
    /// The task that fetches each lm-eval task's datasets, by task name and task directory.
    var lmEvalFetchTasks: [String: String] = [:]
    /// The environment and fetch tasks: each serves every variant of the tasks that need it.
    var sharedTasks: Set<String> = []

    init(spec: Spec, files: any LocalFiles, hubCommits: HubCommits) {
        self.spec = spec
        self.files = files
        self.hubCommits = hubCommits
    }

    mutating func digestLocalFiles(_ diagnostics: inout DiagnosticLog) {
        let sources = spec.models.map { ($0.source, $0.location) } + spec.datasets.map { ($0.source, $0.location) }
        for (source, location) in sources {
            guard case .local(let path, let written) = source, fileDigests[path] == nil else { continue }
            do {
                fileDigests[path] = try files.contentDigest(of: path)
            } catch {
                diagnostics.error(at: location, "cannot read '\(written)' to fingerprint it: \(error.localizedDescription)")
            }
        }
    }

    /// Digests the local paths a command names that the registries did not (settings such as
    /// `task_dir`), so that the fingerprint follows their content.
    mutating func digestLocalPaths(in command: TaskCommand, of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> Bool {
        for argument in command.arguments + command.environment.map(\.value) {
            for case .localPath(let path) in argument.parts where fileDigests[path] == nil {
                do {
                    fileDigests[path] = path == RunnerPackage.directory ? try RunnerPackage.contentDigest(files: files) : try files.contentDigest(of: path)
                } catch {
                    diagnostics.error(
                        at: stage.location, "stage '\(stage.name)' reads '\(path)', which cannot be read to fingerprint it: \(error.localizedDescription)")
                    return false
                }
            }
        }
        return true
    }

    /// A stage of one variant resolved up to its fingerprint, which needs none of the state that
    /// resolving changes: the fingerprints of a stage's tasks are computed on every core.
    struct PreparedTask: Sendable {
        var stage: String
        var kind: StageKind
        var axisValues: [AxisValue]
        var inputs: [InputRole: ResolvedInput]
        var settings: SettingsResolver.Resolved
        var command: TaskCommand
        var environment: TaskEnvironment
        var outputs: [String]
        var metricFiles: [String]
    }

    /// What preparing a stage of a variant came to.
    enum Preparation {
        /// A task to fingerprint and commit.
        case ready(PreparedTask)
        /// No task: the stage is left out, or failed (and said why).
        case settled(PlanCompiler.StageOutcome)
    }

    /// Resolves one stage for one variant into a (possibly shared) task.
    mutating func resolve(
        _ stage: StageSpec, in members: [ReferenceResolver.Member], relevantAxes: [Int], _ diagnostics: inout DiagnosticLog
    ) -> PlanCompiler.StageOutcome {
        switch prepare(stage, in: members, relevantAxes: relevantAxes, &diagnostics) {
        case .ready(let task): return commit(task, fingerprint: fingerprinter.fingerprint(of: task))
        case .settled(let outcome): return outcome
        }
    }

    /// Resolves a stage's inputs, settings and command for one variant (or the variants a
    /// gathering stage reads), creating the environment and fetch tasks it needs.
    mutating func prepare(
        _ stage: StageSpec, in members: [ReferenceResolver.Member], relevantAxes: [Int], _ diagnostics: inout DiagnosticLog
    ) -> Preparation {
        guard let variant = members.first?.variant else { return .settled(.absent) }
        let resolver = ReferenceResolver(spec: spec, members: members, tasks: tasks, gathering: !stage.gather.isEmpty)
        guard resolver.isActive(stage) else { return .settled(.absent) }
        guard let inputs = resolver.inputs(of: stage, &diagnostics),
            let settings = SettingsResolver(spec: spec, files: files, resolver: resolver, memo: settingsMemo).settings(of: stage, &diagnostics),
            DistributionCheck(spec: spec, stage: stage).check(settings.resources, settings: settings.result, &diagnostics),
            let (interpreter, environment) = interpreter(for: stage, settings: settings.result, &diagnostics),
            let built = CommandBuilder(stage: stage, resolver: resolver).command(
                settings: settings.result, inputs: inputs, resources: settings.resources, interpreter: interpreter, &diagnostics),
            let snapshots = fetching(built, for: stage, &diagnostics),
            let command = fetchingLMEvalDatasets(snapshots, settings: settings.result, for: stage, &diagnostics),
            digestLocalPaths(in: command, of: stage, &diagnostics)
        else { return .settled(.failed) }
        return .ready(
            PreparedTask(
                stage: stage.name, kind: stage.kind,
                axisValues: relevantAxes.map { AxisValue(axis: spec.sweep.axes[$0].name, value: variant.values[$0]) },
                inputs: inputs, settings: settings, command: command, environment: environment, outputs: stage.outputNames,
                metricFiles: stage.metricFiles))
    }

    /// Fingerprints tasks from what the tasks compiled so far are and the local files read so far.
    var fingerprinter: TaskFingerprinter {
        TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests)
    }

    /// The outcomes of a stage's preparations, in order: the prepared tasks' fingerprints are
    /// computed on every core, then each task is committed.
    mutating func commit(_ prepared: [Preparation]) -> [PlanCompiler.StageOutcome] {
        let fingerprinter = self.fingerprinter
        let fingerprints = prepared.parallelMap(chunkSize: 256) { preparation -> Fingerprint? in
            guard case .ready(let task) = preparation else { return nil }
            return fingerprinter.fingerprint(of: task)
        }
        return zip(prepared, fingerprints).map { preparation, fingerprint in
            switch preparation {
            case .ready(let task): return commit(task, fingerprint: fingerprint ?? fingerprinter.fingerprint(of: task))
            case .settled(let outcome): return outcome
            }
        }
    }

    /// The task a prepared one is: an existing task with the same fingerprint, or a new one.
    mutating func commit(_ prepared: PreparedTask, fingerprint: Fingerprint) -> PlanCompiler.StageOutcome {
        if let existing = taskByFingerprint[fingerprint.value] { return .task(existing) }
        var id = prepared.stage
        if !prepared.axisValues.isEmpty {
            id += "[" + prepared.axisValues.map { "\($0.axis)=\(Name.sanitized($0.value.text))" }.joined(separator: ",") + "]"
        }
        if taskIDs.contains(id) { id += "~" + fingerprint.short }
        let settings = prepared.settings
        let task = PlannedTask(
            id: id, stage: prepared.stage, kind: prepared.kind, fingerprint: fingerprint, axisValues: prepared.axisValues,
            inputs: InputRole.allCases.compactMap { role in prepared.inputs[role].map { TaskInput(role: role.rawValue, source: $0.source) } },
            settings: settings.result, command: prepared.command, environment: prepared.environment,
            resources: settings.resources, retries: settings.retries, checkpoint: settings.checkpoint, temporaryOutputs: settings.temporary,
            outputs: prepared.outputs, metricFiles: prepared.metricFiles, variants: [])
        return .task(add(task))
    }

    /// An environment or fetch task serves every variant of the tasks that need it, directly or
    /// through another such task (a fetch task runs in an environment): its variants are theirs,
    /// in the order first met. `variantsOfTask` holds each task's variants as positions in
    /// `variantNames` (none for the shared tasks), so that a sweep's long names are not hashed.
    mutating func shareSupportTasks(variantNames: [String], variantsOfTask: [[Int]]) {
        guard !sharedTasks.isEmpty else { return }
        let tasks = self.tasks
        let indexByID = Dictionary(uniqueKeysWithValues: tasks.indices.map { (tasks[$0].id, $0) })
        let shared = sharedTasks.compactMap { indexByID[$0] }
        var isShared = [Bool](repeating: false, count: tasks.count)
        for index in shared { isShared[index] = true }
        func sharedDependencies(of index: Int) -> [Int] {
            tasks[index].dependencies.compactMap { indexByID[$0] }.filter { isShared[$0] }
        }
        let sharedNeeds = Dictionary(uniqueKeysWithValues: shared.map { ($0, sharedDependencies(of: $0)) })
        var variants: [Int: [Int]] = [:]
        var known: [Int: [Bool]] = [:]
        for index in tasks.indices where !isShared[index] {
            var pending = sharedDependencies(of: index)
            var reached: Set<Int> = []
            while let next = pending.popLast() {
                guard reached.insert(next).inserted else { continue }
                if known[next] == nil { known[next] = [Bool](repeating: false, count: variantNames.count) }
                for variant in variantsOfTask[index] where known[next]?[variant] == false {
                    known[next]?[variant] = true
                    variants[next, default: []].append(variant)
                }
                pending += sharedNeeds[next] ?? []
            }
        }
        for index in shared { self.tasks[index].variants = (variants[index] ?? []).map { variantNames[$0] } }
    }

    mutating func add(_ task: consuming PlannedTask) -> Int {
        taskIDs.insert(task.id)
        fingerprintByID[task.id] = task.fingerprint
        taskByFingerprint[task.fingerprint.value] = tasks.count
        tasks.append(task)
        return tasks.count - 1
    }

    /// What runs a stage's command, and the name of its environment: a built-in kind runs its
    /// runner with the stage's `python:`, or else with the Python of its environment task.
    private mutating func interpreter(
        for stage: StageSpec, settings: [String: SettingValue], _ diagnostics: inout DiagnosticLog
    ) -> (CommandArgument?, TaskEnvironment)? {
        guard let recipe = RecipeBook.recipe(for: stage.kind) else { return (nil, .system) }
        if case .string(let python)? = settings[SettingCatalog.pythonSetting] {
            return (.literal(python), .python(python))
        }
        guard let task = environmentTask(recipe.environment, for: stage, &diagnostics) else { return nil }
        return (CommandArgument([.taskOutput(task: task, output: "venv/bin/python")]), .runner(recipe.environment))
    }

    /// The task that creates (or finds) a runner environment: one per environment in a plan,
    /// identified by the content of its requirements, so that it is cached like any task.
    mutating func environmentTask(_ name: String, for stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> String? {
        if let id = environmentTasks[name] { return id }
        let requirements = RunnerPackage.requirements(of: name)
        guard files.kind(of: requirements) == .file else {
            guard missingEnvironments.insert(name).inserted else { return nil }
            diagnostics.error(
                at: stage.location,
                "stage '\(stage.name)' runs ablate's '\(stage.kind.rawValue)' runner, whose environment file \(requirements) does not exist; set ABLATE_RUNNERS to the Runners folder of an ablate checkout"
            )
            return nil
        }
        let command = TaskCommand(
            arguments: [
                "python3", "-m", "ablate_runners.environment", "--requirements", CommandArgument([.localPath(requirements)]),
                "--output", CommandArgument([.outputDirectory]),
            ],
            environment: [RunnerPackage.pythonPath])
        guard digestLocalPaths(in: command, of: stage, &diagnostics) else { return nil }
        let fingerprint = TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests).fingerprint(
            kind: .command, settings: [:], command: command, environment: .system, inputs: [:])
        var id = "environment[\(name)]"
        if taskIDs.contains(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "environment", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: [:],
            command: command, environment: .system, resources: TaskResources(), retries: 0, outputs: ["venv"], metricFiles: [],
            variants: [], requiredOutputs: ["venv/bin/python"], placement: .submittingMachine)
        environmentTasks[name] = id
        sharedTasks.insert(id)
        _ = add(task)
        return id
    }
}

extension ResolvedInput {
    var source: TaskInput.Source {
        switch self {
        case .model(let model): return .model(name: model.name)
        case .dataset(let dataset): return .dataset(name: dataset.name)
        case .taskOutput(let task, let output): return .task(id: task, output: output)
        }
    }
}
