import AblateCore
import AblateStore
import Foundation
import Synchronization

/// One execution of a plan in a run directory: `ablate run` starts a new one, `ablate resume`
/// continues an existing one. Every change of a task's state goes through the task state
/// machine (`TaskLifecycle`) into the run store, files first, under one lock; a write that
/// fails stops the run with its cause.
public final class RunSession: @unchecked Sendable {
    public let layout: RunLayout
    public let plan: Plan
    public let decisions: [TaskDecision]
    public let registry: ProcessRegistry
    let options: RunOptions
    let runtime: ExecutorRuntime
    let store: RunStore
    let cache: TaskCache
    let lock: RunLock
    /// Held shared while the session drives the run: gc and rm wait for it.
    let cacheLock: CacheLock
    let resolver: CommandResolver
    let observer: (any RunObserver)?
    let tasksByID: PlannedTasksByID
    /// Whether a task's outputs fit on the disk before it starts.
    let spaceCheck: SpaceCheck
    /// The durability of the state the session writes, one flush for many writes.
    let commits: GroupCommit
    /// The trackers the training tasks report to (the spec's, or the command line's).
    let tracking: TrackingSpec
    /// Uploads of offline tracker runs under way.
    let uploads = Mutex<[Task<Void, Never>]>([])
    /// The commands `stage` resolved and recorded ahead of the tasks' first attempts.
    let stagedCommands = Mutex<[String: StagedCommand]>([:])
    /// Held while temporary outputs are released: tasks that read the same ones may end at once.
    private let releasing = Mutex(())
    /// The tasks that read each temporary task's outputs, by the temporary task's id: empty for
    /// a plan without temporary outputs, where nothing is ever released.
    private let readersOfTemporaries: [String: [String]]
    /// The run's id and study, fixed for the session (the record around them changes).
    let runID: String
    let study: String

    private let stateLock = NSLock()
    private var records: [String: TaskRecord]
    /// First local attempts started with no record of their task on the disk, and when their
    /// running record is due (`started`).
    private var unrecordedAttempts: [String: (attempt: Int, due: ContinuousClock.Instant)] = [:]
    private var run: RunRecord
    /// The first state write that failed: the run stops, and `execute` throws it.
    private var writeFailure: RunSessionError?

    init(
        layout: RunLayout, plan: Plan, run: RunRecord, records: [String: TaskRecord], decisions: [TaskDecision], lock: RunLock,
        cacheLock: CacheLock, store: RunStore, runtime: ExecutorRuntime, options: RunOptions, tracking: TrackingSpec, observer: (any RunObserver)?
    ) {
        self.layout = layout
        self.plan = plan
        self.run = run
        runID = run.id
        study = run.study
        self.records = records
        self.decisions = decisions
        self.lock = lock
        self.cacheLock = cacheLock
        self.store = store
        self.options = options
        self.observer = observer
        self.runtime = runtime
        registry = ProcessRegistry(launcher: runtime.launcher)
        cache = TaskCache(directory: layout.cacheDirectory)
        tasksByID = PlannedTasksByID(plan.tasks)
        let temporaries = Set(plan.tasks.lazy.filter(\.temporaryOutputs).map(\.id))
        readersOfTemporaries = temporaries.isEmpty ? [:] : plan.dependants().filter { temporaries.contains($0.key) }
        spaceCheck = SpaceCheck(tasks: tasksByID, cache: cache)
        commits = GroupCommit(directories: [layout.runDirectory, layout.cacheDirectory])
        resolver = CommandResolver(
            layout: layout, cache: cache, fingerprints: Dictionary(uniqueKeysWithValues: plan.tasks.map { ($0.id, $0.fingerprint) }),
            hub: options.hub, tracking: TrackingEnvironment(tracking: tracking, layout: layout, study: run.study))
        self.tracking = tracking
    }

    /// The task records as they stand.
    public var taskRecords: [TaskRecord] { stateLock.withLock { plan.tasks.compactMap { records[$0.id] } } }

    public func record(of id: String) -> TaskRecord? { stateLock.withLock { records[id] } }

    public var runRecord: RunRecord { stateLock.withLock { run } }

    var launcher: any ProcessLauncher { runtime.launcher }

    // MARK: Executing

    /// Applies the decisions, runs what must run, and records how the run ended.
    public func execute() async throws -> RunRecord.State {
        try saveRun()
        // The variants' rows (a few milliseconds for a large sweep) are written while the first
        // tasks start; the run waits for them before it records its end.
        async let variantsIndexed: Void = store.index.record(variants: plan.variants, runID: runID)
        let started = runRecord
        try store.journal.append(RunEvent(started.createdAt == started.heartbeatAt ? .runStarted : .runResumed, message: runID))
        observer?.runStarted(started, decisions: decisions)
        for decision in decisions where !decision.executes {
            try settle(decision)
        }
        try await stopAttemptsNotAdopted()
        // The records of cached tasks were written without waiting for the disk: one flush
        // makes them all durable (after a crash before it, they are simply settled again).
        commits.flush()
        let toRun = Set(decisions.filter(\.executes).map(\.task))
        let adopted = Set(decisions.filter { $0.action == .adopt }.map(\.task))
        for task in plan.tasks where toRun.contains(task.id) {
            if let problem = ResourcePool(limits: runtime.limits).impossibility(of: task.resources) {
                throw RunSessionError.impossible(task: task.id, problem)
            }
        }
        let scheduled = plan.tasks.filter { toRun.contains($0.id) }.map { task in
            ScheduledTask(
                id: task.id, dependencies: task.dependencies.filter(toRun.contains), resources: task.resources, retries: task.retries,
                adopting: adopted.contains(task.id) ? record(of: task.id)?.lastAttempt?.handle : nil,
                adoptedDevices: adopted.contains(task.id) ? CommandRecord.devices(at: layout.command(task.id)) : nil,
                continuesFromCheckpoints: task.checkpoint != nil)
        }
        let heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .clampedSeconds(self?.options.heartbeatInterval ?? 5))
                if Task.isCancelled { break }
                self?.beat()
            }
        }
        let recorder = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.runningRecordDelay / 4)
                self?.recordRunningAttempts()
            }
        }
        let flusher = commits.flushingInBackground(every: Self.backgroundFlushInterval)
        let scheduler = Scheduler(
            tasks: scheduled, limits: runtime.limits, launcher: launcher, options: options.scheduler, registry: registry, delegate: self)
        let outcomes = await scheduler.run()
        flusher.stop()
        runtime.warm?.shutDown()
        for upload in uploads.withLock({ $0 }) { await upload.value }
        heartbeat.cancel()
        recorder.cancel()
        await heartbeat.value
        await recorder.value
        try await variantsIndexed
        return try finish(outcomes)
    }

    /// A job an earlier session left queued or running that this run does not follow (its
    /// inputs run again) is stopped, and its attempt ended, before anything else starts.
    private func stopAttemptsNotAdopted() async throws {
        for decision in decisions where decision.action == .run {
            guard let record = record(of: decision.task), record.state == .running, let attempt = record.lastAttempt, attempt.endedAt == nil,
                let handle = attempt.handle
            else { continue }
            try await ExecutorRuntime.owner(of: handle, current: launcher, killGrace: options.scheduler.killGrace).recover(handle)
            try transition(decision.task, .abandoned(reason: "\(handle) was stopped: \(decision.reason)"))
        }
    }

    /// Cached and kept tasks need no process: their records point at the outputs.
    private func settle(_ decision: TaskDecision) throws {
        // A kept task is already done in this run, its files and index rows unchanged.
        guard decision.action == .cached, let task = tasksByID[decision.task] else { return }
        guard let entry = cache.entry(for: task.fingerprint) else {
            // A temporary task done in another run whose outputs went once its readers completed.
            guard let release = cache.release(of: task.fingerprint) else { return }
            try store.makeTaskDirectory(task.id)
            try store.saveMetrics(release.metrics, of: task.id)
            try transition(task.id, .cached(origin: release.origin, outputs: [:], reason: decision.reason), metrics: release.metrics)
            return
        }
        try store.makeTaskDirectory(task.id)
        try cache.link(task.fingerprint, into: layout.outputs(task.id))
        try store.saveMetrics(entry.metrics, of: task.id)
        try transition(
            task.id, .cached(origin: entry.origin, outputs: outputPaths(task), reason: decision.reason), metrics: entry.metrics)
    }

    /// Deletes the outputs of the temporary tasks among `candidates` (task ids) once every task of
    /// the plan that reads them is done (a temporary task that nothing reads keeps them). A plan
    /// without temporary outputs does not even list the candidates.
    func releaseTemporaries(among candidates: @autoclosure () -> some Sequence<String>) {
        guard !readersOfTemporaries.isEmpty else { return }
        let temporary = candidates().filter { readersOfTemporaries[$0] != nil }
        guard !temporary.isEmpty else { return }
        releasing.withLock { _ in releaseOnceRead(temporary) }
    }

    private func releaseOnceRead(_ candidates: [String]) {
        for id in candidates {
            guard let task = tasksByID[id], cache.entry(for: task.fingerprint) != nil,
                let readers = readersOfTemporaries[id], readers.allSatisfy({ record(of: $0)?.state.isDone == true })
            else { continue }
            do {
                try cache.release(task.fingerprint)
            } catch {
                observer?.warning("\(task.id): its temporary outputs could not be deleted: \(error)")
            }
        }
    }

    private func finish(_ outcomes: [String: ScheduledOutcome]) throws -> RunRecord.State {
        releaseTemporaries(among: plan.tasks.lazy.map(\.id))
        defer {
            cacheLock.release()
            lock.release()
        }
        let final: RunRecord.State
        do {
            final = try recordEnd(outcomes)
        } catch {
            // The first failure is the cause; a later write may fail for the same reason.
            throw stateLock.withLock { writeFailure } ?? error
        }
        if let failure = stateLock.withLock({ writeFailure }) { throw failure }
        observer?.runFinished(runRecord, tasks: taskRecords)
        return final
    }

    /// Records the tasks that never started and how the run ended, then closes the index.
    private func recordEnd(_ outcomes: [String: ScheduledOutcome]) throws -> RunRecord.State {
        let reason = registry.isInterrupted ? "not started: the run was interrupted" : "not started: the run stopped after a failure"
        for (id, outcome) in outcomes where outcome == .notStarted {
            try transition(id, .notStarted(reason: reason))
        }
        let final: RunRecord.State
        commits.flush()
        if stateLock.withLock({ writeFailure }) != nil {
            final = .failed
        } else if registry.isInterrupted {
            final = .interrupted
        } else if stateLock.withLock({ records.values.allSatisfy(\.state.isDone) }) {
            final = .completed
        } else {
            final = .failed
        }
        try stateLock.withLock {
            run.state = final
            run.endedAt = Timestamp.now()
            run.heartbeatAt = run.endedAt ?? run.heartbeatAt
            try store.save(run)
        }
        try store.journal.append(RunEvent(.runFinished, runState: final))
        // Closing the index folds its write-ahead log into it now, so that its files stay as
        // they are from here on (a report's cache of the index is keyed by them).
        try store.closeIndex()
        return final
    }

    // MARK: Writing state

    /// Applies `event` to the task's record and writes it (`status.json` atomically, the index,
    /// the journal); `persist: false` keeps the record in memory and writes only the journal
    /// line (the record follows with the next event). The record reaches the disk with the next
    /// group commit.
    @discardableResult
    func transition(_ id: String, _ event: TaskEvent, metrics: MetricsRecord? = nil, persist: Bool = true) throws -> TaskRecord? {
        try stateLock.withLock {
            guard let record = records[id] else { return nil }
            let next: TaskRecord
            if persist {
                next = try store.transition(record, event, runID: runID, metrics: metrics, durability: .deferred)
                commits.note()
                unrecordedAttempts[id] = nil
            } else {
                let (changed, line) = TaskLifecycle.apply(event, to: record, at: Timestamp.now())
                if let line { try store.journal.append(line) }
                next = changed
            }
            records[id] = next
            return next
        }
    }

    /// A transition from a scheduler callback, which cannot throw: a failed write stops the
    /// run, and `execute` then throws it.
    @discardableResult
    func transitionOrStop(_ id: String, _ event: TaskEvent, metrics: MetricsRecord? = nil, persist: Bool = true) -> TaskRecord? {
        do {
            return try transition(id, event, metrics: metrics, persist: persist)
        } catch {
            stop(because: .stateNotRecorded(task: id, "\(error)"))
            return record(of: id)
        }
    }

    /// How long a task's first local attempt runs before its running record is written, when
    /// the task has no record on the disk yet: most short tasks end before, and their end is
    /// their first record, one write instead of two.
    static let runningRecordDelay: Duration = .seconds(1)

    /// How often what the run wrote is flushed while its tasks run (`GroupCommit`): the flush
    /// before a task that reads other tasks' outputs, or at the run's end, then waits for no
    /// more than this much of the run's writes.
    static let backgroundFlushInterval: Duration = .milliseconds(100)

    /// The running record of the task's attempt is written once it is due, unless the attempt
    /// ended before.
    func awaitRecord(of id: String, attempt: Int) {
        stateLock.withLock { unrecordedAttempts[id] = (attempt, .now + Self.runningRecordDelay) }
    }

    /// Writes the running records that are due (`awaitRecord`).
    private func recordRunningAttempts() {
        do {
            try stateLock.withLock {
                let now = ContinuousClock.now
                for (id, waiting) in unrecordedAttempts where waiting.due <= now {
                    unrecordedAttempts[id] = nil
                    guard let record = records[id], let last = record.lastAttempt, last.number == waiting.attempt, last.endedAt == nil else { continue }
                    try store.save(record, runID: runID, metrics: MetricsRecord(), durability: .deferred)
                    commits.note()
                }
            }
        } catch {
            stop(because: .stateNotRecorded(task: nil, "\(error)"))
        }
    }

    private func stop(because failure: RunSessionError) {
        let first = stateLock.withLock { () -> Bool in
            guard writeFailure == nil else { return false }
            writeFailure = failure
            return true
        }
        guard first else { return }
        observer?.warning("stopping: \(failure)")
        registry.interrupt(grace: options.scheduler.killGrace)
    }

    /// Writes `run.json` and the run's row under the state lock, so that an older state can
    /// never land after a newer one.
    func saveRun() throws {
        try stateLock.withLock { try store.save(run) }
    }

    private func beat() {
        commits.flush()
        do {
            try stateLock.withLock {
                run.heartbeatAt = Timestamp.now()
                try store.save(run)
            }
        } catch {
            stop(because: .stateNotRecorded(task: nil, "\(error)"))
        }
    }

    func outputPaths(_ task: PlannedTask) -> [String: String] {
        let base = cache.outputs(task.fingerprint)
        return Dictionary(uniqueKeysWithValues: task.outputs.map { ($0, base + "/" + $0) })
    }
}

/// A run that cannot go ahead.
public enum RunSessionError: Error, CustomStringConvertible {
    case impossible(task: String, String)
    case invalidSpec([Diagnostic])
    /// A Slurm option on the command line of a run whose executor is local.
    case slurmOptionForLocalRun(String)
    /// The state of a task (or, without one, of the run) could not be written.
    case stateNotRecorded(task: String?, String)

    public var description: String {
        switch self {
        case .impossible(let task, let problem): return "task \(task) \(problem)"
        case .invalidSpec(let diagnostics): return diagnostics.map(\.description).joined(separator: "\n")
        case .slurmOptionForLocalRun(let flag): return "\(flag) applies to the slurm executor only; add --executor slurm, or leave \(flag) out"
        case .stateNotRecorded(let task, let cause):
            let whose = task.map { "of task \($0)" } ?? "of the run"
            return "the run stopped: the state \(whose) could not be recorded (\(cause)); fix the cause, then 'ablate resume' the run"
        }
    }
}

/// A task's command, resolved and written to `command.json` before its attempt got a slot.
struct StagedCommand: Sendable {
    /// The number of the attempt it is for.
    var attempt: Int
    var request: LaunchRequest
}
