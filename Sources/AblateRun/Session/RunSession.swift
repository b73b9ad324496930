import AblateCore
import AblateStore
import Foundation

/// One execution of a plan in a run directory: `ablate run` starts a new one, `ablate resume`
/// continues an existing one. It writes every state change to the files first (atomically)
/// and then to the index, and drives the scheduler.
public final class RunSession: @unchecked Sendable {
    public let layout: RunLayout
    public let plan: Plan
    public let decisions: [TaskDecision]
    public let registry: ProcessRegistry
    let options: RunOptions
    /// What starts the tasks where the run's executor puts them.
    let launcher: any ProcessLauncher
    let limits: ResourcePool.Limits
    let cache: TaskCache
    let index: RunIndex
    let journal: EventJournal
    let lock: RunLock
    let resolver: CommandResolver
    let observer: (any RunObserver)?
    let tasksByID: [String: PlannedTask]
    let metricFiles: [String: [String]]

    private let recordsLock = NSLock()
    private let saveLock = NSLock()
    private var records: [String: TaskRecord]
    private(set) var run: RunRecord

    init(
        layout: RunLayout, plan: Plan, run: RunRecord, records: [String: TaskRecord], decisions: [TaskDecision], lock: RunLock,
        options: RunOptions, observer: (any RunObserver)?
    ) throws {
        self.layout = layout
        self.plan = plan
        self.run = run
        self.records = records
        self.decisions = decisions
        self.lock = lock
        self.options = options
        self.observer = observer
        let executor = run.executorSettings ?? ExecutorSpec()
        switch executor.kind {
        case .local:
            launcher = options.launcher ?? SubprocessLauncher(killGrace: options.scheduler.killGrace)
            limits = options.limits
        case .slurm:
            launcher = options.launcher ?? SlurmLauncher(executor: executor)
            limits = .cluster(jobs: options.clusterJobs)
        }
        registry = ProcessRegistry(launcher: launcher)
        cache = TaskCache(directory: layout.cacheDirectory)
        index = try RunIndex(path: layout.index)
        journal = try EventJournal(path: layout.events)
        tasksByID = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0) })
        metricFiles = Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.metricFiles) })
        resolver = CommandResolver(
            layout: layout, cache: cache, fingerprints: Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.fingerprint) }))
    }

    /// The task records as they stand.
    public var taskRecords: [TaskRecord] { recordsLock.withLock { plan.tasks.compactMap { records[$0.id] } } }

    public func record(of id: String) -> TaskRecord? { recordsLock.withLock { records[id] } }

    public var runRecord: RunRecord { recordsLock.withLock { run } }

    // MARK: Executing

    /// Applies the decisions, runs what must run, and records how the run ended.
    public func execute() async throws -> RunRecord.State {
        try saveRun()
        try index.record(variants: plan.variants, runID: run.id)
        try journal.append(RunEvent(run.createdAt == run.heartbeatAt ? .runStarted : .runResumed, message: run.id))
        observer?.runStarted(runRecord, decisions: decisions)
        for decision in decisions where !decision.executes {
            try settle(decision)
        }
        stopAttemptsNotAdopted()
        // The records of cached tasks were written without waiting for the disk: one flush
        // makes them all durable (after a crash before it, they are simply settled again).
        AtomicFile.flushDeferredWrites()
        let toRun = Set(decisions.filter(\.executes).map(\.task))
        let adopted = Set(decisions.filter { $0.action == .adopt }.map(\.task))
        for task in plan.tasks where toRun.contains(task.id) {
            if let problem = ResourcePool(limits: limits).impossibility(of: task.resources) {
                throw RunSessionError.impossible(task: task.id, problem)
            }
        }
        let scheduled = plan.tasks.filter { toRun.contains($0.id) }.map { task in
            ScheduledTask(
                id: task.id, dependencies: task.dependencies.filter(toRun.contains), resources: task.resources, retries: task.retries,
                adopting: adopted.contains(task.id) ? record(of: task.id)?.lastAttempt?.handle : nil)
        }
        let heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64((self?.options.heartbeatInterval ?? 5) * 1_000_000_000))
                if Task.isCancelled { break }
                try? self?.beat()
            }
        }
        let scheduler = Scheduler(tasks: scheduled, limits: limits, launcher: launcher, options: options.scheduler, registry: registry, delegate: self)
        let outcomes = await scheduler.run()
        heartbeat.cancel()
        await heartbeat.value
        return try finish(outcomes)
    }

    /// A job an earlier session left queued or running that this run does not follow (its
    /// inputs run again) is cancelled before anything else starts.
    private func stopAttemptsNotAdopted() {
        let stale = decisions.filter { $0.action == .run }.compactMap { decision -> LaunchHandle? in
            guard let record = record(of: decision.task), record.state == .running, let attempt = record.lastAttempt, attempt.endedAt == nil
            else { return nil }
            return attempt.handle
        }
        if !stale.isEmpty { launcher.stop(stale, force: true) }
    }

    /// Cached and kept tasks need no process: their records point at the outputs.
    private func settle(_ decision: TaskDecision) throws {
        guard let task = tasksByID[decision.task] else { return }
        if decision.action == .keep {
            // Already done in this run, its files and index rows unchanged: nothing to write.
            return
        }
        guard let entry = cache.entry(for: task.fingerprint) else { return }
        try FileManager.default.createDirectory(atPath: layout.taskDirectory(task.id), withIntermediateDirectories: true)
        try cache.link(task.fingerprint, into: layout.outputs(task.id))
        try AtomicFile.writeJSON(entry.metrics, to: layout.metrics(task.id), durability: .deferred)
        try update(task.id, metrics: entry.metrics, durability: .deferred) { record in
            record.state = .cached
            record.cachedFrom = entry.origin
            record.reason = decision.reason
            record.outputs = outputPaths(task)
        }
        try journal.append(RunEvent(.taskCached, task: task.id, state: "cached", message: decision.reason))
    }

    private func finish(_ outcomes: [String: ScheduledOutcome]) throws -> RunRecord.State {
        for (id, outcome) in outcomes where outcome == .notStarted {
            try update(id, metrics: nil) { record in
                record.state = .pending
                record.reason = registry.isInterrupted ? "not started: the run was interrupted" : "not started: the run stopped after a failure"
            }
        }
        let records = taskRecords
        let final: RunRecord.State
        if registry.isInterrupted {
            final = .interrupted
        } else if records.allSatisfy({ $0.state.isDone }) {
            final = .completed
        } else {
            final = .failed
        }
        recordsLock.withLock {
            run.state = final
            run.endedAt = Timestamp.now()
            run.heartbeatAt = run.endedAt ?? run.heartbeatAt
        }
        try saveRun()
        try journal.append(RunEvent(.runFinished, state: final.rawValue))
        // Closing the index folds its write-ahead log into it now, so that its files stay as
        // they are from here on (a report's cache of the index is keyed by them).
        try? index.writer.close()
        lock.release()
        observer?.runFinished(runRecord, tasks: records)
        return final
    }

    // MARK: Writing state

    /// Changes a task's record, then writes `status.json` (atomically) and the index.
    func update(
        _ id: String, metrics: MetricsRecord?, durability: AtomicFile.Durability = .file, write: Bool = true,
        _ change: (inout TaskRecord) -> Void
    ) throws {
        let record: TaskRecord? = recordsLock.withLock {
            guard var record = records[id] else { return nil }
            change(&record)
            records[id] = record
            return record
        }
        guard record != nil, write else { return }
        try saveLock.withLock {
            // The latest record, written under the lock: concurrent updates land in order.
            guard let latest = self.record(of: id) else { return }
            try Directories.make(layout.taskDirectory(id))
            try AtomicFile.writeJSON(latest, to: layout.status(id), durability: durability)
            try index.record(task: latest, metrics: metrics ?? readMetricsFile(id), runID: runRecord.id)
        }
    }

    /// Writes `run.json` and the run's row; one writer at a time, so an older state can never
    /// land after a newer one.
    func saveRun() throws {
        try saveLock.withLock {
            let run = runRecord
            try AtomicFile.writeJSON(run, to: layout.runRecord)
            try index.record(run: run)
        }
    }

    private func beat() throws {
        recordsLock.withLock { run.heartbeatAt = Timestamp.now() }
        try saveRun()
    }

    func readMetricsFile(_ id: String) -> MetricsRecord? {
        try? AtomicFile.readJSON(MetricsRecord.self, from: layout.metrics(id))
    }

    func outputPaths(_ task: PlannedTask) -> [String: String] {
        let base = cache.outputs(task.fingerprint)
        return Dictionary(uniqueKeysWithValues: task.outputs.map { ($0, base + "/" + $0) })
    }
}

/// A run that cannot go ahead.
public enum RunSessionError: Error, CustomStringConvertible {
    case impossible(task: String, String)
    case notARun(String)
    case invalidSpec([Diagnostic])

    public var description: String {
        switch self {
        case .impossible(let task, let problem): return "task \(task) \(problem)"
        case .notARun(let path): return "\(path) is not a run directory (no run.json); 'ablate ls' lists the runs"
        case .invalidSpec(let diagnostics): return diagnostics.map(\.description).joined(separator: "\n")
        }
    }
}
