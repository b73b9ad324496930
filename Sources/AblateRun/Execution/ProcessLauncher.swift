import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What to start for one attempt of a task.
public struct LaunchRequest: Sendable {
    /// A name for the attempt that the executor can show (Slurm's job name).
    public var name: String
    public var arguments: [String]
    /// Variables set on top of ablate's own environment.
    public var environment: [String: String]
    public var workingDirectory: String
    public var standardOutput: String
    public var standardError: String
    /// Where a local attempt's supervisor records how it ended.
    public var exitRecord: String
    /// Where an executor that submits a batch script writes it (Slurm's `job.sh`).
    public var batchScript: String
    /// Where it must run, if not wherever the executor puts it.
    public var placement: TaskPlacement?
    /// What the task needs; the executor enforces the time limit.
    public var resources: TaskResources
    /// The task saves a checkpoint when signalled: a cluster warns it before its time limit.
    public var checkpointsOnSignal = false
}

/// How an attempt ended, as its executor saw it.
public struct LaunchOutcome: Hashable, Sendable {
    public var exit: ProcessExit?
    /// Stopped at its time limit.
    public var timedOut = false
    /// What the executor says went wrong beyond the exit (out of memory, a failed node).
    public var failure: String?
    /// Ended by something outside the task (a preempted job): it runs again without using
    /// up one of its retries.
    public var requeue = false

    public init(exit: ProcessExit?, timedOut: Bool = false, failure: String? = nil, requeue: Bool = false) {
        self.exit = exit
        self.timedOut = timedOut
        self.failure = failure
        self.requeue = requeue
    }

    public var succeeded: Bool { exit?.succeeded == true && !timedOut && failure == nil }
}

/// Starts, follows and stops attempts where an executor runs them: local processes, or Slurm
/// jobs. Each launcher knows only its own handles; `LaunchHandle.executor` says whose a handle is.
public protocol ProcessLauncher: Sendable {
    /// The executor whose attempts this launcher starts.
    var executor: Executor.Kind { get }

    /// Starts the attempt, reports its handle through `started` as soon as it exists, and
    /// returns when it has ended. Throws only when it cannot be started; a non-zero exit is a
    /// result.
    func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome

    /// Whether an attempt an earlier ablate started can be followed to its end (a job still
    /// queued or running, or one that ended while nobody watched).
    func canFollow(_ handle: LaunchHandle) -> Bool

    /// Follows an attempt for which `canFollow` is true until it ends.
    func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome

    /// Asks the attempts to stop: `force` kills at once, otherwise they get a grace period.
    func stop(_ handles: [LaunchHandle], force: Bool)

    /// Stops whatever an attempt of an ablate that died left running, when this session does
    /// not follow it (its task runs again).
    func recover(_ handle: LaunchHandle) async throws

    /// Stops the attempts an ablate that died left running, for `ablate cancel` on a run no
    /// ablate drives; returns those it stopped.
    func cancelAbandoned(_ handles: [LaunchHandle]) async throws -> [LaunchHandle]
}

/// An attempt the launcher cannot follow.
public struct CannotFollow: Error, CustomStringConvertible {
    public var handle: LaunchHandle

    public var description: String { "\(handle) cannot be followed by this executor" }
}
