import AblateCore

/// A task as the scheduler sees it: what it needs and what it waits for.
public struct ScheduledTask: Sendable {
    public var id: String
    /// Tasks of this run it waits for; tasks already done are left out.
    public var dependencies: [String]
    public var resources: TaskResources
    public var retries: Int

    public init(id: String, dependencies: [String], resources: TaskResources, retries: Int) {
        self.id = id
        self.dependencies = dependencies
        self.resources = resources
        self.retries = retries
    }
}

/// How one attempt ended.
public struct AttemptResult: Sendable {
    public var exit: ProcessExit?
    public var timedOut: Bool
    /// The run was being stopped when the attempt ended.
    public var interrupted: Bool
    /// Why the process could not be started, or why its results were refused.
    public var error: String?

    public var succeeded: Bool { exit?.succeeded == true && !timedOut && !interrupted && error == nil }
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
    /// Between SIGTERM and SIGKILL when a task is stopped.
    public var killGrace: Double = 10

    public init(keepGoing: Bool = false, retryDelay: Double = 2, killGrace: Double = 10) {
        self.keepGoing = keepGoing
        self.retryDelay = retryDelay
        self.killGrace = killGrace
    }
}

/// Receives what the scheduler does; the run session writes files and the index, and the
/// terminal shows progress. Called from the scheduler's own task, one call at a time.
public protocol SchedulerDelegate: AnyObject, Sendable {
    /// Prepares the task's directory and returns what to launch; throwing fails the attempt.
    func prepare(task: String, attempt: Int, allocation: ResourcePool.Allocation) throws -> LaunchRequest
    func started(task: String, attempt: Int, pid: Int32)
    /// Records the end of an attempt. For a successful process it ingests and caches the
    /// outputs, and returns an error message if that fails (the attempt then fails).
    func finished(task: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String?
    func skipped(task: String, because dependency: String)
}
