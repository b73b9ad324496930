import AblateCore
import AblateStore

/// A task as the scheduler sees it: what it needs and what it waits for.
public struct ScheduledTask: Sendable {
    public var id: String
    /// Tasks of this run it waits for; tasks already done are left out.
    public var dependencies: [String]
    public var resources: TaskResources
    public var retries: Int
    /// An attempt an earlier ablate started and this one follows instead of starting anew.
    public var adopting: LaunchHandle?
    /// The GPUs the adopted attempt runs on, which no other task may be given meanwhile.
    public var adoptedDevices: [String]?
    /// The task saves checkpoints: an attempt that stopped after saving one on a signal
    /// (`CheckpointPolicy.checkpointedExitStatus`) runs again without using up a retry.
    public var continuesFromCheckpoints: Bool

    public init(
        id: String, dependencies: [String], resources: TaskResources, retries: Int, adopting: LaunchHandle? = nil,
        adoptedDevices: [String]? = nil, continuesFromCheckpoints: Bool = false
    ) {
        self.adoptedDevices = adoptedDevices
        self.id = id
        self.dependencies = dependencies
        self.resources = resources
        self.retries = retries
        self.adopting = adopting
        self.continuesFromCheckpoints = continuesFromCheckpoints
    }
}

/// How one attempt ended.
public struct AttemptResult: Sendable {
    public var exit: ProcessExit?
    public var timedOut: Bool
    /// The run was being stopped when the attempt ended.
    public var interrupted: Bool
    /// Why the attempt did not get to run, or what its executor says went wrong.
    public var failure: AttemptFailure?
    /// Ended by something outside the task: it runs again without using up a retry.
    public var requeue = false

    public var succeeded: Bool { exit?.succeeded == true && !timedOut && !interrupted && failure == nil }
}

/// What went wrong with an attempt besides its exit status.
public enum AttemptFailure: Hashable, Sendable, CustomStringConvertible {
    /// Its directory or command could not be prepared.
    case notPrepared(String)
    /// The executor could not start or follow it (no such program, sbatch or squeue failed).
    case notStarted(String)
    /// The executor reports a failure beyond the exit (out of memory, a failed node, preemption).
    case executor(String)

    public var description: String {
        switch self {
        case .notPrepared(let cause): return "could not be prepared: \(cause)"
        case .notStarted(let cause), .executor(let cause): return cause
        }
    }
}

/// Where a task ended up when the scheduler stopped.
public enum ScheduledOutcome: String, Sendable {
    case completed, failed, interrupted, skipped
    /// Never started: the run stopped first (fail-fast or an interruption).
    case notStarted = "not-started"
}

/// How the scheduler runs tasks.
public struct SchedulerOptions: Sendable {
    /// Keep starting independent tasks after a failure (default: stop starting new ones).
    public var keepGoing = false
    /// The first retry waits this long; each further one twice as long (at most a minute).
    public var retryDelay: Double = 2
    /// Between SIGTERM and SIGKILL when a local task is stopped (its time limit, an interruption).
    public var killGrace: Double = 10

    public init(keepGoing: Bool = false, retryDelay: Double = 2, killGrace: Double = 10) {
        self.keepGoing = keepGoing
        self.retryDelay = retryDelay
        self.killGrace = killGrace
    }
}

/// Receives what the scheduler does; the run session writes files and the index, and the
/// terminal shows progress. Calls for one task come in order (`prepare`, `started`,
/// `finished`, or `following` then `finished`); calls for different tasks may come at the same
/// time from the tasks that run attempts, so an implementation serialises its own state.
public protocol SchedulerDelegate: AnyObject, Sendable {
    /// Returns once there is room on the disk for the task's outputs (at once when there is, or
    /// when the run is being stopped); meanwhile the task keeps its slot.
    func waitForRoom(task: String) async
    /// Makes the task's directory ready for its first attempt ahead of its start, while the job
    /// slots are taken; false when it could not (`prepare` then does it, and says why).
    func stage(task: String) -> Bool
    /// Prepares the task's directory (unless `staged` says `stage` did) and returns what to
    /// launch; throwing fails the attempt.
    func prepare(task: String, attempt: Int, allocation: ResourcePool.Allocation, staged: Bool) throws -> LaunchRequest
    /// Records what the executor started, before anything else happens.
    func started(task: String, attempt: Int, handle: LaunchHandle)
    /// An attempt an earlier ablate started is being followed again.
    func following(task: String, handle: LaunchHandle)
    /// Records the end of an attempt. For a successful process it ingests and caches the
    /// outputs, and returns an error message if that fails (the attempt then fails). Successful
    /// attempts are recorded from their own tasks, several at once.
    func finished(task: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String?
    func skipped(task: String, because dependency: String)
}
