import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension RunSession {
    /// Creates a new run directory for the spec and decides what to run.
    public static func start(specPath: String, options: RunOptions, observer: (any RunObserver)?) async throws -> RunSession {
        async let checkout = ProvenanceCollector.checkout(of: directory(of: specPath))
        let study = try CompiledStudy(specPath: specPath, hub: options.hub)
        for note in study.hubNotes { observer?.warning(note) }
        let executor = try options.executor.applied(to: study.executor)
        let layout = RunLayout(
            runsDirectory: options.runsDirectory, study: study.plan.study, runID: RunLayout.newRunID(), cacheDirectory: options.cacheDirectory)
        // The cache is locked first: every task is looked up in it while the run directory and
        // its index are made (a few syncs, and the plan written out).
        let cacheLock = try CacheLock(cacheDirectory: layout.cacheDirectory, mode: .shared, wait: true)
        let planner = RunPlanner(plan: study.plan, cache: TaskCache(directory: layout.cacheDirectory), layout: layout, previous: [:], canFollow: { _ in false })
        async let decisions = planner.decisions()
        let now = Timestamp.now()
        let run = RunRecord(
            id: layout.runID, study: study.plan.study, specFile: absolute(specPath), state: .running, createdAt: now, pid: getpid(),
            heartbeatAt: now, executor: executor,
            provenance: await ProvenanceCollector.collect(
                checkout: checkout, hubCommits: study.hubCommits, usesPython: ProvenanceCollector.usesPython(study.plan)))
        let lock = try createRunDirectory(layout, specPath: specPath, plan: study.plan, run: run)
        async let store = RunStore(layout: layout)
        let records = Dictionary(uniqueKeysWithValues: study.plan.tasks.map { ($0.id, TaskRecord(task: $0, state: .pending)) })
        return RunSession(
            layout: layout, plan: study.plan, run: run, records: records, decisions: await decisions, lock: lock, cacheLock: cacheLock,
            store: try await store, runtime: ExecutorRuntime(executor, options: options, warmDirectory: layout.warmDirectory), options: options,
            tracking: options.tracking(study.tracking), observer: observer)
    }

    /// Reopens a run directory: recovers from a crash, uses the run's compiled spec (its own,
    /// or an edited one) and decides what to run again.
    public static func resume(_ target: ResumeTarget, options: RunOptions, observer: (any RunObserver)?) async throws -> RunSession {
        let layout = target.layout
        var run = target.run
        for note in target.study.hubNotes { observer?.warning(note) }
        let lock = try RunLock(path: layout.lockFile)
        let cacheLock = try CacheLock(cacheDirectory: layout.cacheDirectory, mode: .shared, wait: true)
        if let dead = lock.previousHolder {
            observer?.warning("took over the lock of run \(run.id) from PID \(dead), which is no longer running")
        }
        let plan = target.study.plan
        // The executor the run used last time, unless the command line changes it.
        let executor = try options.executor.applied(to: run.executor)
        // One runtime for the session: recovery below and the run itself use the same launcher.
        let runtime = ExecutorRuntime(executor, options: options, warmDirectory: layout.warmDirectory)
        let launcher = runtime.launcher
        if let specOverride = target.specOverride { try copySpec(specOverride, to: layout) }
        try AtomicFile.write(try PlanJSON.encode(plan), to: layout.planFile)
        let store = try RunStore(layout: layout)
        let onDisk = try target.previousRecords()
        var previous = onDisk
        let fingerprints = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.fingerprint) })
        let gpus = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.resources.totalGPUs) })
        // An ablate that died between starting a local task and recording its group left an
        // attempt that only its supervisor's command line, its running marker, or the exit record
        // written for it names: it is recorded now, to be followed (or stopped, when the task
        // changed) like any other.
        let supervisors = SupervisorProgram.running()
        try await adoptFirstAttemptsWithoutRecords(plan: plan, layout: layout, launcher: launcher, supervisors: supervisors, into: &previous)
        for (id, record) in previous where !record.state.isDone {
            let last = record.lastAttempt
            let startedUnlaunched = record.state == .running && last?.endedAt == nil && last?.handle == nil ? last?.number : nil
            for number in [startedUnlaunched, (last?.number ?? 0) + 1].compactMap({ $0 }) {
                let exitRecord = layout.exitRecord(id, attempt: number)
                let group = SupervisorProgram.supervisedAttempt(recordingTo: exitRecord, supervisors: supervisors)
                guard group != nil || FileManager.default.fileExists(atPath: exitRecord) else { continue }
                let found = number == startedUnlaunched ? record : try store.transition(record, .attemptStarted(gpus: gpus[id] ?? 0), runID: run.id)
                // A supervisor that has ended is known by its record alone.
                previous[id] = try store.transition(found, .launched(.processGroup(group ?? 0, exitRecord: exitRecord)), runID: run.id)
                break
            }
        }
        for (id, record) in previous where record.state == .running {
            // An attempt of an unchanged task that the executor can follow is adopted rather
            // than started anew; anything else it left is stopped, and the task runs again.
            let handle = record.lastAttempt?.handle
            if let handle, launcher.canFollow(handle), fingerprints[id] == record.fingerprint { continue }
            if let handle { try await ExecutorRuntime.owner(of: handle, current: launcher, killGrace: options.scheduler.killGrace).recover(handle) }
            previous[id] = try store.transition(record, .abandoned(reason: "was running when ablate stopped"), runID: run.id)
        }
        let planner = RunPlanner(
            plan: plan, cache: TaskCache(directory: layout.cacheDirectory), layout: layout, previous: previous, canFollow: launcher.canFollow)
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
        run.executor = executor
        run.endedAt = nil
        run.pid = getpid()
        run.heartbeatAt = Timestamp.now()
        if let specOverride = target.specOverride { run.specFile = absolute(specOverride) }
        let indexed = plan.tasks.compactMap { records[$0.id] }
        // Records whose fingerprint changed are written again, without waiting for the disk:
        // the session's first flush, before any task starts, makes them durable (after a crash
        // before it, the old records say the task changed, and it runs again all the same).
        let changed = indexed.filter { $0 != previous[$0.id] }
        if store.indexWasComplete {
            // The index holds what the files said when the last session closed it: only what
            // this resume changes is written to it, and tasks that left the plan leave it.
            for record in changed { try store.save(record, runID: run.id, durability: .deferred) }
            try store.flushIndex()
            try store.index.removeTasks(notIn: Set(plan.tasks.map(\.id)), runID: run.id)
        } else {
            // An ablate that was killed (or an older one) left an index that may lag the files:
            // it is rebuilt from them, the truth.
            for record in changed { try store.writeStatus(record, durability: .deferred) }
            try store.flushIndex()
            let metrics = indexed.parallelMap(chunkSize: 256) { record in Result { try layout.readMetricsRecord(record.id) } }
            try store.rebuildIndex(run: run, variants: plan.variants, tasks: zip(indexed, metrics).map { ($0, try $1.get()) })
        }
        let session = RunSession(
            layout: layout, plan: plan, run: run, records: records, decisions: planner.decisions(), lock: lock, cacheLock: cacheLock, store: store,
            runtime: runtime, options: options, tracking: options.tracking(target.study.tracking), observer: observer)
        if !changed.isEmpty { session.commits.note() }
        return session
    }

    /// A task that no record names may still have run: an ablate that died after it sent a
    /// task's first attempt to the fork server, before it wrote anything of the task down, left
    /// it running, or ended. When its `command.json` (written before the start) was for the task
    /// as it is now, the task gets a pending record, and the scan for unrecorded attempts that
    /// follows adopts the attempt; one for another version of the task is stopped, and the task
    /// runs again.
    private static func adoptFirstAttemptsWithoutRecords(
        plan: Plan, layout: RunLayout, launcher: any ProcessLauncher, supervisors: [String: Int32], into previous: inout [String: TaskRecord]
    ) async throws {
        for task in plan.tasks where previous[task.id] == nil {
            let exitRecord = layout.exitRecord(task.id, attempt: 1)
            let group = SupervisorProgram.supervisedAttempt(recordingTo: exitRecord, supervisors: supervisors)
            guard group != nil || FileManager.default.fileExists(atPath: exitRecord) else { continue }
            let ran = try? AtomicFile.readJSON(CommandRecord.self, from: layout.command(task.id))
            if ran?.fingerprint == task.fingerprint.value {
                previous[task.id] = TaskRecord(task: task, state: .pending)
            } else if let group {
                try await launcher.recover(.processGroup(group, exitRecord: exitRecord))
                // Its server lets go of the attempt once it has recorded the end (at most 10 s).
                var waits = 0
                while RunningMarker.pid(recordingTo: exitRecord) != nil && waits < 1000 {
                    try await Task.sleep(for: .milliseconds(10))
                    waits += 1
                }
            }
        }
    }

    /// What `resume` would do, without taking the lock or changing anything.
    public static func explain(_ target: ResumeTarget) throws -> [TaskDecision] {
        let launcher = ExecutorRuntime.launcher(for: target.run.executor, killGrace: 0)
        let held = RunLock.isHeld(path: target.layout.lockFile)
        let previous = try target.previousRecords().mapValues { record -> TaskRecord in
            var record = record
            let followable = record.lastAttempt?.handle.map(launcher.canFollow) ?? false
            if record.state == .running, !followable, !held { record.state = .interrupted }
            return record
        }
        return RunPlanner(
            plan: target.study.plan, cache: TaskCache(directory: target.layout.cacheDirectory), layout: target.layout, previous: previous,
            canFollow: launcher.canFollow
        ).decisions()
    }

    /// Makes the run's directory with its spec, plan and `run.json` in it, under a hidden name
    /// that it then takes in one rename: a run directory never lacks its record, so an ablate
    /// killed at any moment leaves either no run or one that `resume` continues. Returns the
    /// run's lock, taken before the rename (it stays on the file).
    private static func createRunDirectory(_ layout: RunLayout, specPath: String, plan: Plan, run: RunRecord) throws -> RunLock {
        let staging = RunLayout(
            runsDirectory: layout.runsDirectory, study: layout.study, runID: RunLayout.stagingPrefix + layout.runID,
            cacheDirectory: layout.cacheDirectory)
        try FileManager.default.createDirectory(atPath: staging.tasksDirectory, withIntermediateDirectories: true)
        let lock = try RunLock(path: staging.lockFile)
        // Nothing reads the staging directory: each file's content is flushed, and the directory
        // once, before the rename that shows it.
        try copySpec(specPath, to: staging, durability: .file)
        try AtomicFile.write(try PlanJSON.encode(plan), to: staging.planFile, durability: .file)
        try AtomicFile.writeJSON(run, to: staging.runRecord, durability: .file)
        AtomicFile.syncDirectory(staging.runDirectory)
        guard rename(staging.runDirectory, layout.runDirectory) == 0 else {
            throw FileError.system("cannot create the run directory \(layout.runDirectory)", errno)
        }
        AtomicFile.syncDirectory(layout.runsDirectory + "/" + layout.study)
        return lock
    }

    private static func copySpec(_ specPath: String, to layout: RunLayout, durability: AtomicFile.Durability = .fileAndDirectory) throws {
        guard let data = FileManager.default.contents(atPath: specPath) else { return }
        try AtomicFile.write(data, to: layout.specCopy, durability: durability)
    }

    static func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }

    static func directory(of path: String) -> String {
        URL(fileURLWithPath: absolute(path)).deletingLastPathComponent().path
    }
}

/// A spec compiled once for a command: its plan, the executor it asks for, and the commits its
/// hub repositories resolved to.
public struct CompiledStudy: Sendable {
    public let plan: Plan
    public let executor: Executor
    /// The trackers the spec asks for.
    public let tracking: TrackingSpec
    public let hubCommits: HubCommits
    /// What resolving the hub revisions said (a repository missing offline, an unreachable hub).
    public let hubNotes: [String]

    public init(specPath: String, hub: HubSettings) throws {
        let resolver = HubRevisionResolver(settings: hub)
        let outcome = StudyCompiler(resolveHubRevisions: { resolver.resolve($0) }).compile(path: specPath)
        guard let plan = outcome.plan, let spec = outcome.spec else {
            throw RunSessionError.invalidSpec(outcome.diagnostics.sorted.filter { $0.severity == .error })
        }
        self.plan = plan
        executor = spec.executor
        tracking = spec.tracking
        hubCommits = resolver.commits
        hubNotes = resolver.notes
    }
}

/// An existing run and the spec it resumes with, read and compiled once: `resume`, its dry run,
/// `plan --explain` and the up-to-date check all decide from the same value.
public struct ResumeTarget: Sendable {
    public let layout: RunLayout
    public let run: RunRecord
    /// The edited spec to resume with, if not the run's own.
    public let specOverride: String?
    public let study: CompiledStudy

    public init(runDirectory: String, specOverride: String?, cacheDirectory: String?, hub: HubSettings = .current(offline: false)) throws {
        layout = RunLayout(runDirectory: runDirectory, cacheDirectory: cacheDirectory)
        run = try layout.readRunRecord()
        self.specOverride = specOverride
        study = try CompiledStudy(specPath: specOverride ?? run.specFile, hub: hub)
    }

    /// The task records an earlier session of the run left, by task id.
    func previousRecords() throws -> [String: TaskRecord] {
        let layout = layout
        let ids = study.plan.tasks.map(\.id)
        let read = ids.parallelMap(chunkSize: 256) { id in Result { try layout.readTaskRecord(id) } }
        var records: [String: TaskRecord] = [:]
        for (id, result) in zip(ids, read) {
            if let record = try result.get() { records[id] = record }
        }
        return records
    }
}
