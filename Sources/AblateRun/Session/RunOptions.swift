import AblateCore
import AblateStore
import Foundation

/// How `ablate run` and `ablate resume` run a study.
public struct RunOptions: Sendable {
    /// Where run directories live (`Runs/`, or `ABLATE_RUNS_DIR`).
    public var runsDirectory: String
    /// The shared cache of completed outputs (default `<runs>/.cache`).
    public var cacheDirectory: String?
    /// This machine's capacity, for the local executor.
    public var limits: ResourcePool.Limits
    /// Jobs submitted to a cluster at once, for the Slurm executor.
    public var clusterJobs: Int
    public var scheduler: SchedulerOptions
    /// Changes to the executor the spec (or, on resume, the run) chose: the command line's.
    public var executor: ExecutorOverrides
    /// How often the run says it is alive in `run.json`.
    public var heartbeatInterval: Double
    /// The hub and the shared cache that fetch tasks download into.
    public var hub: HubSettings
    /// The program local tasks run under (`SupervisorProgram.beside(executable:)` of ablate).
    public var supervisor: SupervisorProgram
    /// How often a task waiting for disk space looks again, in seconds.
    public var diskSpacePollInterval: Double = 10
    /// Built-in stages on this machine start from a warm interpreter of their environment.
    public var warmStart = true
    /// The trackers `--tracking` names, in place of the spec's; nil keeps the spec's.
    public var trackers: Set<TrackingSpec.Tracker>?

    public static let defaultClusterJobs = 1000

    public init(
        runsDirectory: String, cacheDirectory: String? = nil, limits: ResourcePool.Limits, clusterJobs: Int = defaultClusterJobs,
        scheduler: SchedulerOptions = SchedulerOptions(), executor: ExecutorOverrides = ExecutorOverrides(),
        heartbeatInterval: Double = 5, hub: HubSettings = .current(offline: false), supervisor: SupervisorProgram
    ) {
        self.supervisor = supervisor
        self.hub = hub
        self.runsDirectory = runsDirectory
        self.cacheDirectory = cacheDirectory
        self.limits = limits
        self.clusterJobs = clusterJobs
        self.scheduler = scheduler
        self.executor = executor
        self.heartbeatInterval = heartbeatInterval
    }

    /// The trackers of a run: the spec's, unless `--tracking` names others.
    public func tracking(_ spec: TrackingSpec) -> TrackingSpec {
        trackers.map { spec.keeping(only: $0) } ?? spec
    }

    /// The runs directory a user means: the flag, else `ABLATE_RUNS_DIR`, else `Runs`.
    public static func runsDirectory(flag: String?) -> String {
        let path = flag ?? ProcessInfo.processInfo.environment["ABLATE_RUNS_DIR"] ?? "Runs"
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }
}

/// The command line's changes to a run's executor (`--executor slurm --partition gpu …`).
public struct ExecutorOverrides: Sendable {
    public var kind: Executor.Kind?
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Added after the spec's own sbatch flags.
    public var sbatchFlags: [String]
    public var pollInterval: Double?

    public init(
        kind: Executor.Kind? = nil, partition: String? = nil, account: String? = nil, qos: String? = nil, sbatchFlags: [String] = [],
        pollInterval: Double? = nil
    ) {
        self.kind = kind
        self.partition = partition
        self.account = account
        self.qos = qos
        self.sbatchFlags = sbatchFlags
        self.pollInterval = pollInterval
    }

    /// The executor these changes make of `base`; Slurm options for a local run are refused.
    public func applied(to base: Executor) throws -> Executor {
        guard (kind ?? base.kind) == .slurm else {
            if let flag = slurmFlagsGiven.first { throw RunSessionError.slurmOptionForLocalRun(flag) }
            return .local
        }
        var options = base.slurm ?? SlurmOptions()
        if let partition { options.partition = partition }
        if let account { options.account = account }
        if let qos { options.qos = qos }
        options.sbatchFlags += sbatchFlags
        if let pollInterval { options.pollInterval = pollInterval }
        return .slurm(options)
    }

    /// The Slurm options given, as their flags.
    private var slurmFlagsGiven: [String] {
        [
            partition.map { _ in "--partition" }, account.map { _ in "--account" }, qos.map { _ in "--qos" },
            sbatchFlags.isEmpty ? nil : "--sbatch-flag", pollInterval.map { _ in "--poll-interval" },
        ].compactMap { $0 }
    }
}

/// Follows a run as it happens; every method has a do-nothing default.
public protocol RunObserver: AnyObject, Sendable {
    func runStarted(_ run: RunRecord, decisions: [TaskDecision])
    func taskStarted(_ task: String, attempt: Int)
    func taskEnded(_ record: TaskRecord, willRetry: Bool)
    func runFinished(_ run: RunRecord, tasks: [TaskRecord])
    func warning(_ message: String)
}

extension RunObserver {
    public func runStarted(_ run: RunRecord, decisions: [TaskDecision]) {}
    public func taskStarted(_ task: String, attempt: Int) {}
    public func taskEnded(_ record: TaskRecord, willRetry: Bool) {}
    public func runFinished(_ run: RunRecord, tasks: [TaskRecord]) {}
    public func warning(_ message: String) {}
}

/// What a run will do with a task, and why.
public struct TaskDecision: Codable, Hashable, Sendable {
    /// The three things a run can do with a task.
    public enum Action: String, Codable, Sendable {
        /// Execute it.
        case run
        /// Reuse outputs another run finished.
        case cached
        /// Keep what this run already finished.
        case keep
        /// Follow the job an earlier session of this run submitted, instead of starting anew.
        case adopt
    }

    public var task: String
    public var action: Action
    public var reason: String

    /// Whether the task runs in this session: started, or followed.
    public var executes: Bool { action == .run || action == .adopt }
}
