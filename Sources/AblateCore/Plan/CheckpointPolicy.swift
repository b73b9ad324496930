/// How often a training task saves a checkpoint to continue from, and how many it keeps: the
/// `checkpoint:` setting (`{every: 500, keep: 2}`, `every: 30m`). It changes how a task runs, not
/// what it produces, so it stays out of the fingerprint, like resources.
public struct CheckpointPolicy: Codable, Hashable, Sendable {
    /// When a checkpoint is saved.
    public enum Interval: Codable, Hashable, Sendable {
        /// Every N optimizer steps.
        case steps(Int)
        /// Once this many seconds have passed since the last one, at the next step's end.
        case seconds(Int)
    }

    public var every: Interval
    public var keep: Int

    /// The exit status of a training runner that saved a checkpoint on a signal (SIGTERM, or
    /// Slurm's SIGUSR2 before a job's time limit) and stopped: the task runs again from it,
    /// without using up a retry (EX_TEMPFAIL).
    public static let checkpointedExitStatus: Int32 = 75

    /// Seconds before a Slurm job's time limit that it is warned with SIGUSR2 (`--signal=B:USR2@120`).
    public static let warningBeforeTimeLimit = 120

    /// What a training stage does when its spec says nothing.
    public static let standard = CheckpointPolicy(every: .steps(500), keep: 2)

    public init(every: Interval, keep: Int) {
        self.every = every
        self.keep = keep
    }

    /// The `checkpoint:` setting over `base`: the fields it gives replace base's.
    init(setting: SettingValue, over base: CheckpointPolicy) {
        self = base
        guard case .map(let fields) = setting else { return }
        switch fields["every"] {
        case .int(let steps)?: every = .steps(steps)
        case .string(let text)? where text.hasSuffix("s"): every = Int(text.dropLast()).map(Interval.seconds) ?? base.every
        default: break
        }
        if case .int(let count)? = fields["keep"] { keep = count }
    }

    /// `every 500 steps, keep 2`.
    public var summary: String {
        switch every {
        case .steps(let steps): return "every \(steps) steps, keep \(keep)"
        case .seconds(let seconds): return "every \(TaskResources.formatDuration(seconds)), keep \(keep)"
        }
    }

    /// The value of `ABLATE_CHECKPOINT_EVERY` the training runners read: `500` steps, `1800s`.
    public var everyValue: String {
        switch every {
        case .steps(let steps): return String(steps)
        case .seconds(let seconds): return "\(seconds)s"
        }
    }
}
