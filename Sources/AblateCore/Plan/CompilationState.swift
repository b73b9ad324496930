/// The tasks compiled so far and the lookups that merge equal tasks.
struct CompilationState: Sendable {
    let spec: Spec
    let files: any LocalFiles
    var tasks: [PlannedTask] = []
    var taskByFingerprint: [String: Int] = [:]
    /// Each task's fingerprint by its name (every name in the plan).
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
    /// The positions of the environment and fetch tasks: each serves every variant of the tasks
    /// that need it.
    var sharedTasks: [Int] = []

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

    /// Digests each of `paths` (the local paths a command names that the registries did not,
    /// such as `task_dir`) not digested yet, so that the fingerprint follows their content; false
    /// (and said why) when one cannot be read.
    mutating func digest(_ paths: [String], of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> Bool {
        for path in paths where fileDigests[path] == nil {
            do {
                fileDigests[path] = path == RunnerPackage.directory ? try RunnerPackage.contentDigest(files: files) : try files.contentDigest(of: path)
            } catch {
                diagnostics.error(
                    at: stage.location, "stage '\(stage.name)' reads '\(path)', which cannot be read to fingerprint it: \(error.localizedDescription)")
                return false
            }
        }
        return true
    }

    /// A stage of one variant with the fetch tasks it reads: all that its task is made of,
    /// which needs none of the state that resolving changes, so that a stage's tasks are
    /// fingerprinted and made on every core.
    struct PreparedTask: Sendable {
        var stage: String
        var kind: StageKind
        var draft: Draft
        var fetches: Fetches
        var outputs: [String]
        var metricFiles: [String]

        /// The task, named after its stage and axis values.
        func planned(by fingerprinter: TaskFingerprinter) -> PlannedTask {
            let command = draft.command.fetching(fetches)
            let settings = draft.settings
            let fingerprint = fingerprinter.fingerprint(
                kind: kind, settings: settings.result, command: command, environment: draft.environment, inputs: draft.inputs)
            var id = stage
            if !draft.axisValues.isEmpty {
                id += "[" + draft.axisValues.map { "\($0.axis)=\(Name.sanitized($0.value.text))" }.joined(separator: ",") + "]"
            }
            return PlannedTask(
                id: id, stage: stage, kind: kind, fingerprint: fingerprint, axisValues: draft.axisValues,
                inputs: InputRole.allCases.compactMap { role in draft.inputs[role].map { TaskInput(role: role.rawValue, source: $0.source) } },
                settings: settings.result, command: command, environment: draft.environment, resources: settings.resources,
                retries: settings.retries, checkpoint: settings.checkpoint, temporaryOutputs: settings.temporary, outputs: outputs,
                metricFiles: metricFiles, variants: [])
        }
    }

    /// What preparing a stage of a variant came to.
    enum Preparation {
        /// A task to fingerprint and commit.
        case ready(PreparedTask)
        /// No task: the stage is left out, or failed (and said why).
        case settled(PlanCompiler.StageOutcome)
    }

    /// A stage of one variant resolved as far as it can be without changing the state: its
    /// inputs, settings and command, with hub snapshots not yet read from fetch tasks.
    struct Draft: Sendable {
        var axisValues: [AxisValue]
        var inputs: [InputRole: ResolvedInput]
        var settings: SettingsResolver.Resolved
        var command: TaskCommand
        var environment: TaskEnvironment
        /// The command's hub repositories and local paths, listed here on every core, so that
        /// finishing the draft in variant order only looks them up.
        var repositories: [HubRepository]
        var localPaths: [String]
    }

    /// What drafting a stage of a variant came to.
    enum Drafting: Sendable {
        case drafted(Draft)
        /// No task: the stage is left out, or failed (and said why).
        case settled(PlanCompiler.StageOutcome)
        /// The stage runs in a runner environment that has no task yet; `prepare` creates it.
        case needsEnvironment(String)
    }

    /// Resolves one stage for one variant into a (possibly shared) task.
    mutating func resolve(
        _ stage: StageSpec, in members: [ReferenceResolver.Member], relevantAxes: [Int], _ diagnostics: inout DiagnosticLog
    ) -> PlanCompiler.StageOutcome {
        switch prepare(stage, in: members, relevantAxes: relevantAxes, &diagnostics) {
        case .ready(let task): return commit(task.planned(by: fingerprinter))
        case .settled(let outcome): return outcome
        }
    }

    /// Resolves a stage's inputs, settings and command for one variant (or the variants a
    /// gathering stage reads), creating the environment and fetch tasks it needs.
    mutating func prepare(
        _ stage: StageSpec, in members: [ReferenceResolver.Member], relevantAxes: [Int], _ diagnostics: inout DiagnosticLog
    ) -> Preparation {
        var drafting = DiagnosticLog()
        switch draft(stage, in: members, relevantAxes: relevantAxes, &drafting) {
        case .drafted(let draft):
            diagnostics.append(contentsOf: drafting)
            return finish(draft, of: stage, &diagnostics)
        case .settled(let outcome):
            diagnostics.append(contentsOf: drafting)
            return .settled(outcome)
        case .needsEnvironment(let name):
            // The environment's task first; then the draft again, which reports what it did
            // before only if the environment cannot be had.
            var creating = DiagnosticLog()
            guard environmentTask(name, for: stage, &creating) != nil else {
                diagnostics.append(contentsOf: drafting)
                diagnostics.append(contentsOf: creating)
                return .settled(.failed)
            }
            return prepare(stage, in: members, relevantAxes: relevantAxes, &diagnostics)
        }
    }

    /// Prepares a stage for each of `items` (variant positions that `members` turns into what
    /// the stage reads), with the same outcomes, tasks and diagnostics, in the same order, as
    /// `prepare` one item after another. The drafts change nothing, so they are made on every
    /// core, then finished in order. An item whose runner environment had no task yet is
    /// prepared on its own, and the drafts after it that lacked one are made again.
    mutating func prepare(
        _ stage: StageSpec, each items: [Int], members: @Sendable (Int) -> [ReferenceResolver.Member], relevantAxes: [Int],
        _ diagnostics: inout DiagnosticLog
    ) -> [Preparation] {
        guard let first = items.first else { return [] }
        // The first item alone, so that what every variant shares is resolved (and its
        // problems reported) once, before the others.
        var prepared = [prepare(stage, in: members(first), relevantAxes: relevantAxes, &diagnostics)]
        prepared.reserveCapacity(items.count)
        let rest = Array(items.dropFirst())
        var drafts = drafts(of: stage, for: rest, members: members, relevantAxes: relevantAxes)
        var environmentsDrafted = environmentTasks.count
        for position in drafts.indices {
            switch drafts[position].drafting {
            case .drafted(let draft):
                diagnostics.append(contentsOf: drafts[position].log)
                prepared.append(finish(draft, of: stage, &diagnostics))
            case .settled(let outcome):
                diagnostics.append(contentsOf: drafts[position].log)
                prepared.append(.settled(outcome))
            case .needsEnvironment:
                prepared.append(prepare(stage, in: members(rest[position]), relevantAxes: relevantAxes, &diagnostics))
                // This item, or a fetch task before it, may have created an environment.
                guard environmentTasks.count != environmentsDrafted else { continue }
                environmentsDrafted = environmentTasks.count
                let again = drafts.indices.filter { index in
                    guard index > position, case .needsEnvironment = drafts[index].drafting else { return false }
                    return true
                }
                let redrafted = self.drafts(of: stage, for: again.map { rest[$0] }, members: members, relevantAxes: relevantAxes)
                for (index, redraft) in zip(again, redrafted) { drafts[index] = redraft }
            }
        }
        return prepared
    }

    /// The drafts of a stage for `items`, made on every core, each with what it reported.
    private func drafts(
        of stage: StageSpec, for items: [Int], members: @Sendable (Int) -> [ReferenceResolver.Member], relevantAxes: [Int]
    ) -> [(drafting: Drafting, log: DiagnosticLog)] {
        let state = self
        return items.parallelMap(chunkSize: 64) { item in
            var log = DiagnosticLog()
            let drafting = state.draft(stage, in: members(item), relevantAxes: relevantAxes, &log)
            return (drafting, log)
        }
    }

    /// Resolves a stage's inputs, settings and command for one variant, changing nothing.
    func draft(_ stage: StageSpec, in members: [ReferenceResolver.Member], relevantAxes: [Int], _ diagnostics: inout DiagnosticLog) -> Drafting {
        guard let variant = members.first?.variant else { return .settled(.absent) }
        let resolver = ReferenceResolver(spec: spec, members: members, tasks: tasks, gathering: !stage.gather.isEmpty)
        guard resolver.isActive(stage) else { return .settled(.absent) }
        guard let inputs = resolver.inputs(of: stage, &diagnostics),
            let settings = SettingsResolver(spec: spec, files: files, resolver: resolver, memo: settingsMemo).settings(of: stage, &diagnostics),
            DistributionCheck(spec: spec, stage: stage).check(settings.resources, settings: settings.result, &diagnostics)
        else { return .settled(.failed) }
        var interpreter: CommandArgument?
        var environment = TaskEnvironment.system
        if let recipe = RecipeBook.recipe(for: stage.kind) {
            if case .string(let python)? = settings.result[SettingCatalog.pythonSetting] {
                (interpreter, environment) = (.literal(python), .python(python))
            } else {
                guard let task = environmentTasks[recipe.environment] else { return .needsEnvironment(recipe.environment) }
                (interpreter, environment) = (CommandArgument([.taskOutput(task: task, output: "venv/bin/python")]), .runner(recipe.environment))
            }
        }
        guard
            let command = CommandBuilder(stage: stage, resolver: resolver).command(
                settings: settings.result, inputs: inputs, resources: settings.resources, interpreter: interpreter, &diagnostics)
        else { return .settled(.failed) }
        return .drafted(
            Draft(
                axisValues: relevantAxes.map { AxisValue(axis: spec.sweep.axes[$0].name, value: variant.values[$0]) },
                inputs: inputs, settings: settings, command: command, environment: environment, repositories: command.hubRepositories,
                localPaths: command.localPaths))
    }

    /// A draft with the fetch tasks it reads, and the local paths its command names digested:
    /// creates the fetch tasks it is the first to need.
    private mutating func finish(_ draft: Draft, of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> Preparation {
        guard let fetches = fetches(for: draft, of: stage, &diagnostics), digest(draft.localPaths, of: stage, &diagnostics) else {
            return .settled(.failed)
        }
        return .ready(
            PreparedTask(
                stage: stage.name, kind: stage.kind, draft: draft, fetches: fetches, outputs: stage.outputNames, metricFiles: stage.metricFiles))
    }

    /// Fingerprints tasks from what the tasks compiled so far are and the local files read so far.
    var fingerprinter: TaskFingerprinter {
        TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests)
    }

    /// The outcomes of a stage's preparations, in order: the prepared tasks are fingerprinted
    /// and made into planned tasks on every core, then each is committed.
    mutating func commit(_ prepared: [Preparation]) -> [PlanCompiler.StageOutcome] {
        let fingerprinter = self.fingerprinter
        let planned = prepared.parallelMap(chunkSize: 256) { preparation -> Planning in
            switch preparation {
            case .ready(let task): return .planned(task.planned(by: fingerprinter))
            case .settled(let outcome): return .settled(outcome)
            }
        }
        return planned.map { planning in
            switch planning {
            case .planned(let task): return commit(task)
            case .settled(let outcome): return outcome
            }
        }
    }

    /// A prepared task with its fingerprint, or no task.
    private enum Planning: Sendable {
        case planned(PlannedTask)
        case settled(PlanCompiler.StageOutcome)
    }

    /// The task a planned one is: an existing task with the same fingerprint, or this one, its
    /// name made unique.
    mutating func commit(_ task: consuming PlannedTask) -> PlanCompiler.StageOutcome {
        if let existing = taskByFingerprint[task.fingerprint.value] { return .task(existing) }
        if isNamed(task.id) { task.id += "~" + task.fingerprint.short }
        return .task(add(task))
    }

    /// An environment or fetch task serves every variant of the tasks that need it, directly or
    /// through another such task (a fetch task runs in an environment): its variants are theirs,
    /// in the order first met. `variantsOfTask` holds each task's variants as positions in
    /// `variantNames` (none for the shared tasks), so that a sweep's long names are not hashed.
    mutating func shareSupportTasks(variantNames: [String], variantsOfTask: [[Int]]) {
        for (index, variants) in variantsOfSharedTasks(variantsOfTask, variantCount: variantNames.count) {
            tasks[index].variants = variants.map { variantNames[$0] }
        }
    }

    /// For each shared task, the positions of the variants it serves, in the order first met.
    private func variantsOfSharedTasks(_ variantsOfTask: [[Int]], variantCount: Int) -> [(task: Int, variants: [Int])] {
        guard !sharedTasks.isEmpty else { return [] }
        let tasks = self.tasks
        let sharedIndex = Dictionary(uniqueKeysWithValues: sharedTasks.map { (tasks[$0].id, $0) })
        var isShared = [Bool](repeating: false, count: tasks.count)
        for index in sharedTasks { isShared[index] = true }
        let sharedDependencies: @Sendable (Int) -> [Int] = { index in tasks[index].dependencies.compactMap { sharedIndex[$0] } }
        let sharedNeeds = Dictionary(uniqueKeysWithValues: sharedTasks.map { ($0, sharedDependencies($0)) })
        // Looked up on every core: a sweep's tasks are many, each with a few dependencies.
        let needs = Array(tasks.indices).parallelMap(chunkSize: 1024) { [isShared] in isShared[$0] ? [] : sharedDependencies($0) }
        var variants: [Int: [Int]] = [:]
        var known: [Int: [Bool]] = [:]
        for index in tasks.indices where !isShared[index] {
            var pending = needs[index]
            var reached: Set<Int> = []
            while let next = pending.popLast() {
                guard reached.insert(next).inserted else { continue }
                if known[next] == nil { known[next] = [Bool](repeating: false, count: variantCount) }
                for variant in variantsOfTask[index] where known[next]?[variant] == false {
                    known[next]?[variant] = true
                    variants[next, default: []].append(variant)
                }
                pending += sharedNeeds[next] ?? []
            }
        }
        return sharedTasks.map { ($0, variants[$0] ?? []) }
    }

    /// Whether a task of the plan has this name.
    func isNamed(_ id: String) -> Bool { fingerprintByID[id] != nil }

    mutating func add(_ task: consuming PlannedTask) -> Int {
        fingerprintByID[task.id] = task.fingerprint
        taskByFingerprint[task.fingerprint.value] = tasks.count
        tasks.append(task)
        return tasks.count - 1
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
        guard digest(command.localPaths, of: stage, &diagnostics) else { return nil }
        let fingerprint = TaskFingerprinter(taskFingerprints: fingerprintByID, fileDigests: fileDigests).fingerprint(
            kind: .command, settings: [:], command: command, environment: .system, inputs: [:])
        var id = "environment[\(name)]"
        if isNamed(id) { id += "~" + fingerprint.short }
        let task = PlannedTask(
            id: id, stage: "environment", kind: .command, fingerprint: fingerprint, axisValues: [], inputs: [], settings: [:],
            command: command, environment: .system, resources: TaskResources(), retries: 0, outputs: ["venv"], metricFiles: [],
            variants: [], requiredOutputs: ["venv/bin/python"], placement: .submittingMachine)
        environmentTasks[name] = id
        sharedTasks.append(add(task))
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
