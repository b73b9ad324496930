import AblateCore

/// How a process ended.
public enum ProcessExit: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }
}

/// What an executor started for an attempt, to follow or stop it: a local process group, or
/// a Slurm job.
public enum LaunchHandle: Hashable, Sendable, CustomStringConvertible {
    /// A local task's process group, led by the supervisor that writes `exitRecord` when the
    /// task ends (nil for an attempt an older ablate started without one: it cannot be followed).
    case processGroup(Int32, exitRecord: String?)
    case slurmJob(String)

    /// The executor that started it, and so the only one that can follow or stop it.
    public var executor: Executor.Kind {
        switch self {
        case .processGroup: return .local
        case .slurmJob: return .slurm
        }
    }

    public var description: String {
        switch self {
        case .processGroup(let group, let exitRecord?) where group <= 1: return "the attempt recorded in \(exitRecord)"
        case .processGroup(let group, _): return "process group \(group)"
        case .slurmJob(let job): return "Slurm job \(job)"
        }
    }
}

extension AttemptRecord {
    /// What the executor started for the attempt, once it was recorded.
    public var handle: LaunchHandle? {
        if let jobID { return .slurmJob(jobID) }
        return pid.map { .processGroup($0, exitRecord: exitRecord) }
    }
}
