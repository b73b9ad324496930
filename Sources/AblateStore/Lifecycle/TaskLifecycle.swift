import Foundation

/// Something that happens to a task in a run. Every change of a task's state, in a live run,
/// on recovery after a crash, on adoption and on `ablate cancel`, is one of these, applied by
/// `TaskLifecycle.apply`.
public enum TaskEvent: Sendable {
    /// Its outputs come from the cache: an earlier run (or session) finished it.
    case cached(origin: CacheOrigin, outputs: [String: String], reason: String)
    /// A new attempt begins, holding this many GPUs (on every node together).
    case attemptStarted(gpus: Int)
    /// The executor started the attempt: its process group or job, recorded before anything else.
    case launched(LaunchHandle)
    /// An attempt an earlier ablate started is followed again.
    case adopted
    /// The attempt ended.
    case attemptEnded(AttemptEnd)
    /// Not run: a task it needs failed.
    case skipped(dependency: String)
    /// The run stopped before the task could start.
    case notStarted(reason: String)
    /// Its attempt was left by an ablate that died, and nobody follows it any more; what it
    /// left running was stopped.
    case abandoned(reason: String)
}

/// How an attempt ended, as the run records it.
public struct AttemptEnd: Sendable, Hashable {
    /// The outcomes an attempt can have.
    public enum Outcome: Sendable, Hashable {
        case completed
        case failed
        case interrupted
    }

    public var outcome: Outcome
    /// The task runs again: its state goes back to pending.
    public var willRetry: Bool
    public var exit: ProcessExit?
    public var timedOut: Bool
    /// Why it did not complete, in words.
    public var reason: String
    /// Output name → path, for a completed attempt.
    public var outputs: [String: String]

    public init(outcome: Outcome, willRetry: Bool, exit: ProcessExit?, timedOut: Bool, reason: String, outputs: [String: String] = [:]) {
        self.outcome = outcome
        self.willRetry = willRetry
        self.exit = exit
        self.timedOut = timedOut
        self.reason = reason
        self.outputs = outputs
    }

    var state: TaskRecord.State {
        switch outcome {
        case .completed: return .completed
        case .failed: return .failed
        case .interrupted: return .interrupted
        }
    }
}

/// The task state machine: one function from a record and an event to the new record and the
/// journal line that tells of it.
public enum TaskLifecycle {
    /// The record after `event`, and the line for `events.jsonl` (nil for changes the journal
    /// does not tell, such as a process id becoming known).
    public static func apply(_ event: TaskEvent, to record: TaskRecord, at time: Date) -> (TaskRecord, RunEvent?) {
        var record = record
        switch event {
        case .cached(let origin, let outputs, let reason):
            record.state = .cached
            record.cachedFrom = origin
            record.reason = reason
            record.outputs = outputs
            return (record, RunEvent(.taskCached, task: record.id, state: .cached, message: reason, time: time))

        case .attemptStarted(let gpus):
            record.state = .running
            record.reason = nil
            record.cachedFrom = nil
            record.outputs = [:]
            // Attempts are numbered across every session of the run.
            let number = (record.attempts.last?.number ?? 0) + 1
            record.attempts.append(AttemptRecord(number: number, startedAt: time, state: .running, gpus: gpus))
            return (record, RunEvent(.taskStarted, task: record.id, attempt: number, state: .running, time: time))

        case .launched(let handle):
            guard let last = record.attempts.indices.last, record.attempts[last].endedAt == nil else { return (record, nil) }
            switch handle {
            case .processGroup(let group, let exitRecord):
                record.attempts[last].pid = group
                record.attempts[last].exitRecord = exitRecord
            case .slurmJob(let job): record.attempts[last].jobID = job
            }
            return (record, nil)

        case .adopted:
            let handle = record.lastAttempt?.handle.map(\.description) ?? "its attempt"
            return (
                record,
                RunEvent(.taskAdopted, task: record.id, attempt: record.lastAttempt?.number, state: .running, message: "following \(handle)", time: time)
            )

        case .attemptEnded(let end):
            // A failure that is retried leaves the task pending and its attempt failed.
            let retried = end.willRetry && end.outcome != .completed
            let state: TaskRecord.State = retried ? .pending : end.state
            record.state = state
            record.reason = end.outcome == .completed ? nil : (end.willRetry ? "retrying: " : "") + end.reason
            record.outputs = end.outcome == .completed ? end.outputs : [:]
            var exitCode: Int32?
            if let last = record.attempts.indices.last {
                record.attempts[last].endedAt = time
                record.attempts[last].state = retried ? .failed : end.state
                if case .exited(let code)? = end.exit {
                    record.attempts[last].exitCode = code
                    exitCode = code
                }
                if case .signaled(let signal)? = end.exit { record.attempts[last].signal = signal }
                record.attempts[last].timedOut = end.timedOut
            }
            return (
                record,
                RunEvent(
                    end.willRetry ? .taskRetrying : .taskFinished, task: record.id, attempt: record.lastAttempt?.number, state: state, exitCode: exitCode,
                    message: end.reason, time: time)
            )

        case .skipped(let dependency):
            record.state = .skipped
            record.reason = "not run: \(dependency) failed"
            return (record, RunEvent(.taskSkipped, task: record.id, state: .skipped, message: dependency, time: time))

        case .notStarted(let reason):
            record.state = .pending
            record.reason = reason
            return (record, nil)

        case .abandoned(let reason):
            record.state = .interrupted
            record.reason = reason
            if let last = record.attempts.indices.last, record.attempts[last].endedAt == nil {
                record.attempts[last].state = .interrupted
                record.attempts[last].endedAt = time
            }
            return (record, RunEvent(.taskRecovered, task: record.id, state: .interrupted, message: reason, time: time))
        }
    }
}
