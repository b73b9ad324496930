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
    /// What the task needs; the executor enforces the time limit.
    public var resources: TaskResources
}

/// How a process ended.
public enum ProcessExit: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }
}

/// What an executor started for an attempt, to follow or stop it: a local process group, or
/// a Slurm job.
public enum LaunchHandle: Hashable, Sendable {
    case processGroup(Int32)
    case slurmJob(String)
}

extension AttemptRecord {
    /// What the executor started for the attempt, once it was recorded.
    public var handle: LaunchHandle? {
        if let jobID { return .slurmJob(jobID) }
        return pid.map { .processGroup($0) }
    }
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

/// Starts and follows attempts: local processes, or Slurm jobs; tests can stub it.
public protocol ProcessLauncher: Sendable {
    /// Starts the attempt, reports its handle through `started` as soon as it exists, and
    /// returns when it has ended. Throws only when it cannot be started; a non-zero exit is a
    /// result.
    func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome

    /// Follows an attempt an earlier ablate started (a job still queued or running, or one that
    /// ended while nobody watched) until it ends. Nil when this executor cannot follow it.
    func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome?

    /// Asks the attempts to stop: `force` kills at once, otherwise they get a grace period.
    func stop(_ handles: [LaunchHandle], force: Bool)
}

extension ProcessLauncher {
    public func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome? { nil }

    /// Signals local process groups: SIGTERM, or SIGKILL when forced.
    public func stop(_ handles: [LaunchHandle], force: Bool) {
        for case .processGroup(let group) in handles { kill(-group, force ? SIGKILL : SIGTERM) }
    }
}
