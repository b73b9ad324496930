import AblateCore
import Foundation

/// `tasks/<task>/status.json`: a task's state in one run, with every attempt.
public struct TaskRecord: Codable, Hashable, Sendable {
    /// Where a task stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Not started yet (waiting for its inputs or a slot).
        case pending
        case running
        case completed
        /// Completed by an earlier run; its outputs come from the cache.
        case cached
        case failed
        /// Stopped by Ctrl-C, `ablate cancel`, or the death of the ablate process.
        case interrupted
        /// Not run because a task it needs failed.
        case skipped

        /// Whether the task's outputs exist and are final.
        public var isDone: Bool { self == .completed || self == .cached }
    }

    public var id: String
    public var stage: String
    public var kind: StageKind
    public var fingerprint: Fingerprint
    public var state: State
    public var attempts: [AttemptRecord]
    /// For a cached task: the run and task that produced the outputs.
    public var cachedFrom: CacheOrigin?
    /// The values the task runs with: its resolved settings and, where the spec leaves one out,
    /// the runner's default (the index's params).
    public var settings: [String: SettingValue]
    public var variants: [String]
    /// Output name → absolute path.
    public var outputs: [String: String]
    /// Why the task is in this state, in words (a failed dependency, a signal, …).
    public var reason: String?

    public init(task: PlannedTask, state: State) {
        id = task.id
        stage = task.stage
        kind = task.kind
        fingerprint = task.fingerprint
        self.state = state
        attempts = []
        settings = task.kind.descriptor.effectiveSettings(task.settings)
        variants = task.variants
        outputs = [:]
    }

    public var lastAttempt: AttemptRecord? { attempts.last }
}

/// One try at running a task.
public struct AttemptRecord: Codable, Hashable, Sendable {
    public var number: Int
    public var startedAt: Date
    public var endedAt: Date?
    public var state: TaskRecord.State
    /// The process group leader's pid (the group id too), to find survivors after a crash. A
    /// local task's leader is ablate-supervisor, which leads the task's session and passes the
    /// stop signals on to the task's own group, outliving them so that it can record the exit.
    public var pid: Int32?
    /// Where the local supervisor of the attempt records how it ended (`ExitRecord`), for an
    /// ablate that follows the attempt after the one that started it died.
    public var exitRecord: String?
    /// The Slurm job that ran the attempt, to follow it again after a crash.
    public var jobID: String?
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    /// The GPUs the attempt held (on every node together), for its cost in GPU-hours; nil in
    /// records written before attempts counted them.
    public var gpus: Int?

    public init(number: Int, startedAt: Date, state: TaskRecord.State, pid: Int32? = nil, gpus: Int? = nil) {
        self.number = number
        self.startedAt = startedAt
        self.state = state
        self.pid = pid
        self.gpus = gpus
        timedOut = false
    }

    public var duration: TimeInterval? { endedAt.map { $0.timeIntervalSince(startedAt) } }
}

/// The run and task whose outputs a cached task reuses.
public struct CacheOrigin: Codable, Hashable, Sendable {
    public var run: String
    public var task: String
    public var study: String

    public init(run: String, task: String, study: String) {
        self.run = run
        self.task = task
        self.study = study
    }
}
