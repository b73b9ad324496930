import Foundation

/// Where everything of a run lives: `<runs>/<study>/<run-id>/` and the shared cache.
public struct RunLayout: Sendable {
    public let runsDirectory: String
    public let study: String
    public let runID: String
    public let cacheDirectory: String

    public init(runsDirectory: String, study: String, runID: String, cacheDirectory: String? = nil) {
        self.runsDirectory = runsDirectory
        self.study = study
        self.runID = runID
        self.cacheDirectory = Self.cacheDirectory(runsDirectory: runsDirectory, override: cacheDirectory)
    }

    /// The shared cache: `override` (`--cache-dir`), else `<runs>/.cache`.
    public static func cacheDirectory(runsDirectory: String, override: String?) -> String {
        override ?? runsDirectory + "/.cache"
    }

    /// The layout of an existing run directory (`Runs/<study>/<run-id>`).
    public init(runDirectory: String, cacheDirectory: String? = nil) {
        let url = URL(fileURLWithPath: runDirectory).standardizedFileURL
        let runsDirectory = url.deletingLastPathComponent().deletingLastPathComponent().path
        self.init(
            runsDirectory: runsDirectory, study: url.deletingLastPathComponent().lastPathComponent, runID: url.lastPathComponent,
            cacheDirectory: cacheDirectory)
    }

    public var runDirectory: String { "\(runsDirectory)/\(study)/\(runID)" }
    /// A run directory is made under this prefix and its id, then renamed to its id once its
    /// record is in it; a name with the prefix is not a run (one left by an ablate killed then).
    public static let stagingPrefix = ".creating-"
    public var specCopy: String { runDirectory + "/spec.yaml" }
    public var planFile: String { runDirectory + "/plan.json" }
    public var runRecord: String { runDirectory + "/run.json" }
    public var events: String { runDirectory + "/events.jsonl" }
    public var lockFile: String { runDirectory + "/lock" }
    /// Present while the run is pinned (`ablate pin`): gc keeps it whatever its age.
    public var pinFile: String { runDirectory + "/pinned" }
    public var index: String { runDirectory + "/index.sqlite" }
    /// SQLite's write-ahead log of the index, beside it.
    public var indexWriteAheadLog: String { index + "-wal" }
    /// What a report read from the index, kept while the index is unchanged.
    public var reportCache: String { runDirectory + "/report.cache" }
    public var tasksDirectory: String { runDirectory + "/tasks" }
    /// The Hugging Face cache the tasks share (`HF_HOME`), inside the run.
    public var huggingFaceHome: String { runDirectory + "/hf-home" }
    /// The logs of the warm interpreters that started the run's built-in stages.
    public var warmDirectory: String { runDirectory + "/warm" }

    public func taskDirectory(_ task: String) -> String { tasksDirectory + "/" + task }
    public func status(_ task: String) -> String { taskDirectory(task) + "/status.json" }
    public func command(_ task: String) -> String { taskDirectory(task) + "/command.json" }
    public func stdout(_ task: String) -> String { taskDirectory(task) + "/stdout.log" }
    public func stderr(_ task: String) -> String { taskDirectory(task) + "/stderr.log" }
    public func metrics(_ task: String) -> String { taskDirectory(task) + "/metrics.json" }
    /// How a local attempt ended, as its supervisor recorded it (`ExitRecord`): one file per
    /// attempt number, so that an attempt whose start was never recorded is still found.
    public func exitRecord(_ task: String, attempt: Int) -> String { taskDirectory(task) + "/exit-\(attempt).json" }
    /// The batch script a Slurm job of the task runs.
    public func batchScript(_ task: String) -> String { taskDirectory(task) + "/job.sh" }
    /// Where the task writes while it runs; afterwards a link into the cache.
    public func outputs(_ task: String) -> String { taskDirectory(task) + "/outputs" }
    /// A training task's checkpoints, kept across its attempts (outside its outputs, which each
    /// attempt starts afresh).
    public func checkpoints(_ task: String) -> String { taskDirectory(task) + "/checkpoints" }

    /// A new run id: the time it started and a random suffix, sortable by age.
    public static func newRunID(at date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return formatter.string(from: date) + "-" + String(repeating: "0", count: 8 - suffix.count) + suffix
    }
}
