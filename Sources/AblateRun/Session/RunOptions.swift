import AblateStore
import Foundation

/// How `ablate run` and `ablate resume` run a study.
public struct RunOptions: Sendable {
    /// Where run directories live (`Runs/`, or `ABLATE_RUNS_DIR`).
    public var runsDirectory: String
    /// The shared cache of completed outputs (default `<runs>/.cache`).
    public var cacheDirectory: String?
    public var limits: ResourcePool.Limits
    public var scheduler: SchedulerOptions
    public var launcher: any ProcessLauncher
    /// How often the run says it is alive in `run.json`.
    public var heartbeatInterval: Double

    public init(
        runsDirectory: String, cacheDirectory: String? = nil, limits: ResourcePool.Limits, scheduler: SchedulerOptions = SchedulerOptions(),
        launcher: any ProcessLauncher = SubprocessLauncher(), heartbeatInterval: Double = 5
    ) {
        self.runsDirectory = runsDirectory
        self.cacheDirectory = cacheDirectory
        self.limits = limits
        self.scheduler = scheduler
        self.launcher = launcher
        self.heartbeatInterval = heartbeatInterval
    }

    /// The runs directory a user means: the flag, else `ABLATE_RUNS_DIR`, else `Runs`.
    public static func runsDirectory(flag: String?) -> String {
        let path = flag ?? ProcessInfo.processInfo.environment["ABLATE_RUNS_DIR"] ?? "Runs"
        return URL(fileURLWithPath: path).standardizedFileURL.path
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
    }

    public var task: String
    public var action: Action
    public var reason: String
}
