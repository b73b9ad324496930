import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension RunSession {
    /// Creates a new run directory for the spec and decides what to run.
    public static func start(specPath: String, options: RunOptions, observer: (any RunObserver)?) async throws -> RunSession {
        let (plan, specExecutor) = try compile(specPath)
        let executor = options.executor.applied(to: specExecutor)
        let layout = RunLayout(
            runsDirectory: options.runsDirectory, study: plan.study, runID: RunLayout.newRunID(), cacheDirectory: options.cacheDirectory)
        try FileManager.default.createDirectory(atPath: layout.tasksDirectory, withIntermediateDirectories: true)
        let lock = try RunLock(path: layout.lockFile)
        try copySpec(specPath, to: layout)
        try AtomicFile.write(try PlanJSON.encode(plan), to: layout.planFile)
        let records = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, TaskRecord(task: $0, state: .pending)) })
        let planner = RunPlanner(plan: plan, cache: TaskCache(directory: layout.cacheDirectory), layout: layout, previous: [:])
        let now = Timestamp.now()
        var run = RunRecord(
            id: layout.runID, study: plan.study, specFile: absolute(specPath), state: .running, createdAt: now, pid: getpid(),
            heartbeatAt: now, executor: executor.kind.rawValue, provenance: await ProvenanceCollector.collect(specDirectory: directory(of: specPath)))
        run.executorSettings = executor
        return try RunSession(
            layout: layout, plan: plan, run: run, records: records, decisions: planner.decisions(), lock: lock, options: options,
            observer: observer)
    }

    /// Reopens a run directory: recovers from a crash, recompiles the spec (or `specOverride`)
    /// and decides what to run again.
    public static func resume(
        runDirectory: String, specOverride: String?, options: RunOptions, observer: (any RunObserver)?
    ) async throws -> RunSession {
        let layout = RunLayout(runDirectory: runDirectory, cacheDirectory: options.cacheDirectory)
        guard var run = try? AtomicFile.readJSON(RunRecord.self, from: layout.runRecord) else { throw RunSessionError.notARun(runDirectory) }
        let lock = try RunLock(path: layout.lockFile)
        if let dead = lock.previousHolder {
            observer?.warning("took over the lock of run \(run.id) from PID \(dead), which is no longer running")
        }
        let specPath = specOverride ?? run.specFile
        let (plan, specExecutor) = try compile(specPath)
        // The executor the run used last time, unless the command line changes it.
        let executor = options.executor.applied(to: run.executorSettings ?? specExecutor)
        if specOverride != nil { try copySpec(specPath, to: layout) }
        try AtomicFile.write(try PlanJSON.encode(plan), to: layout.planFile)
        let onDisk = Self.previousRecords(plan, layout: layout)
        var previous = onDisk
        let journal = try EventJournal(path: layout.events)
        let fingerprints = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.fingerprint) })
        for (id, record) in previous where record.state == .running {
            // A Slurm job of an unchanged task is followed again rather than submitted anew.
            let adoptable = executor.kind == .slurm && record.lastAttempt?.jobID != nil && fingerprints[id] == record.fingerprint
            if !adoptable { previous[id] = await recover(record, journal: journal) }
        }
        let planner = RunPlanner(plan: plan, cache: TaskCache(directory: layout.cacheDirectory), layout: layout, previous: previous)
        var records: [String: TaskRecord] = [:]
        for task in plan.tasks {
            if let old = previous[task.id], old.fingerprint == task.fingerprint {
                records[task.id] = old
            } else {
                var fresh = TaskRecord(task: task, state: .pending)
                fresh.attempts = previous[task.id]?.attempts ?? []
                records[task.id] = fresh
            }
        }
        run.state = .running
        run.executor = executor.kind.rawValue
        run.executorSettings = executor
        run.endedAt = nil
        run.pid = getpid()
        run.heartbeatAt = Timestamp.now()
        if specOverride != nil { run.specFile = absolute(specPath) }
        let session = try RunSession(
            layout: layout, plan: plan, run: run, records: records, decisions: planner.decisions(), lock: lock, options: options,
            observer: observer)
        // Tasks that left the plan leave the index; the files of the others are the truth.
        try session.index.replaceAll(
            run: run, variants: plan.variants, tasks: plan.tasks.compactMap { records[$0.id] }.map { ($0, session.readMetricsFile($0.id)) })
        // Only records that changed are written again (recovered tasks, new fingerprints).
        for record in plan.tasks.compactMap({ records[$0.id] }) where record != onDisk[record.id] {
            try FileManager.default.createDirectory(atPath: layout.taskDirectory(record.id), withIntermediateDirectories: true)
            try AtomicFile.writeJSON(record, to: layout.status(record.id), durability: .file)
        }
        return session
    }

    /// What `resume` would do, without taking the lock or changing anything.
    public static func explain(runDirectory: String, specOverride: String?, cacheDirectory: String?) throws -> [TaskDecision] {
        let layout = RunLayout(runDirectory: runDirectory, cacheDirectory: cacheDirectory)
        guard let run = try? AtomicFile.readJSON(RunRecord.self, from: layout.runRecord) else { throw RunSessionError.notARun(runDirectory) }
        let (plan, _) = try compile(specOverride ?? run.specFile)
        let previous = previousRecords(plan, layout: layout).mapValues { record -> TaskRecord in
            var record = record
            let followable = record.lastAttempt?.jobID != nil && run.executor == ExecutorSpec.Kind.slurm.rawValue
            if record.state == .running, !followable, !RunLock.isHeld(path: layout.lockFile) { record.state = .interrupted }
            return record
        }
        return RunPlanner(plan: plan, cache: TaskCache(directory: layout.cacheDirectory), layout: layout, previous: previous).decisions()
    }

    /// The spec's plan and the executor it asks for.
    static func compile(_ specPath: String) throws -> (Plan, ExecutorSpec) {
        let outcome = StudyCompiler().compile(path: specPath)
        guard let plan = outcome.plan, let spec = outcome.spec else {
            throw RunSessionError.invalidSpec(outcome.diagnostics.sorted.filter { $0.severity == .error })
        }
        return (plan, spec.executor)
    }

    static func previousRecords(_ plan: Plan, layout: RunLayout) -> [String: TaskRecord] {
        var records: [String: TaskRecord] = [:]
        for task in plan.tasks {
            if let record = try? AtomicFile.readJSON(TaskRecord.self, from: layout.status(task.id)) { records[task.id] = record }
        }
        return records
    }

    /// A task that was running when its ablate died and that this session does not follow:
    /// whatever is left of its process group or its Slurm job is stopped, and the attempt is
    /// recorded as interrupted.
    static func recover(_ record: TaskRecord, journal: EventJournal) async -> TaskRecord {
        var record = record
        switch record.lastAttempt?.handle {
        case .processGroup(let pid)? where pid > 0 && kill(-pid, 0) == 0: kill(-pid, SIGKILL)
        case .slurmJob(let job)?: try? await SlurmClient().cancel([job])
        default: break
        }
        record.state = .interrupted
        record.reason = "was running when ablate stopped"
        if let index = record.attempts.indices.last, record.attempts[index].endedAt == nil {
            record.attempts[index].state = .interrupted
            record.attempts[index].endedAt = Timestamp.now()
        }
        try? journal.append(RunEvent(.taskRecovered, task: record.id, state: "interrupted", message: record.reason))
        return record
    }

    private static func copySpec(_ specPath: String, to layout: RunLayout) throws {
        guard let data = FileManager.default.contents(atPath: specPath) else { return }
        try AtomicFile.write(data, to: layout.specCopy)
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func directory(of path: String) -> String {
        URL(fileURLWithPath: absolute(path)).deletingLastPathComponent().path
    }
}
