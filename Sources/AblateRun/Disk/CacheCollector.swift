import AblateStore
import Foundation

/// Which runs `ablate gc` keeps whatever they need: the latest of each study, the pinned ones,
/// those younger than a date, and any an ablate drives now.
public struct KeepPolicy: Sendable {
    /// Runs of each study kept, the newest first.
    public var latest: Int
    /// Runs created at or after this date are kept.
    public var since: Date?

    public init(latest: Int = 1, since: Date? = nil) {
        self.latest = latest
        self.since = since
    }
}

/// What `ablate gc` keeps and what it frees: cache entries that no kept run's plan needs, the
/// checkpoints of runs that are not kept, and what an ablate killed while it created a run left
/// (a hidden directory that never became a run). The runs' own records (spec, plan, logs,
/// metrics, index) stay, so that reports still show them; `ablate rm` removes a run whole.
public struct CacheCollection: Sendable {
    /// A run gc keeps, and why.
    public struct KeptRun: Sendable {
        public var run: StoredRun
        public var reasons: [String]
    }

    /// A cache entry gc frees.
    public struct Entry: Sendable {
        public var fingerprint: String
        public var bytes: Int64
        /// The run and task that produced it, when the entry is complete.
        public var origin: CacheOrigin?

        /// The entry of `fingerprint` (64 hex digits) as it stands in `cache`.
        init(_ fingerprint: String, in cache: TaskCache) {
            self.fingerprint = fingerprint
            bytes = DiskUsage.bytes(at: cache.directory + "/" + fingerprint)
            origin = cache.entry(forValue: fingerprint)?.origin
        }
    }

    /// A task's checkpoint folder in a run that is not kept.
    public struct Checkpoints: Sendable {
        public var run: StoredRun
        public var task: String
        public var bytes: Int64
    }

    /// A run directory whose creation was interrupted.
    public struct InterruptedCreation: Sendable {
        public var path: String
        public var bytes: Int64
    }

    public var kept: [KeptRun]
    public var notKept: [StoredRun]
    public var entries: [Entry]
    public var checkpoints: [Checkpoints]
    public var interruptedCreations: [InterruptedCreation]

    /// Everything gc frees, in bytes.
    public var bytes: Int64 {
        entries.reduce(0) { $0 + $1.bytes } + checkpoints.reduce(0) { $0 + $1.bytes } + interruptedCreations.reduce(0) { $0 + $1.bytes }
    }
}

/// `ablate gc`: decides what a keep policy frees, then frees it under the cache's exclusive lock.
public enum CacheCollector {
    /// What gc would free under `policy`; reads only.
    public static func plan(runsDirectory: String, cacheDirectory: String?, policy: KeepPolicy) -> CacheCollection {
        let runs = StoredRun.all(in: runsDirectory, cacheDirectory: cacheDirectory)
        let cache = TaskCache(runsDirectory: runsDirectory, override: cacheDirectory)
        var latestRank: [String: Int] = [:]
        for (rank, run) in Dictionary(grouping: runs, by: \.record.study).values.flatMap({ $0.reversed().enumerated() }) {
            latestRank[run.layout.runDirectory] = rank
        }
        var kept: [CacheCollection.KeptRun] = []
        var notKept: [StoredRun] = []
        for run in runs {
            var reasons: [String] = []
            if let rank = latestRank[run.layout.runDirectory], rank < policy.latest {
                reasons.append(rank == 0 ? "the latest of \(run.record.study)" : "among the \(policy.latest) latest of \(run.record.study)")
            }
            if run.isPinned { reasons.append("pinned") }
            if let since = policy.since, run.record.createdAt >= since { reasons.append("created since \(Timestamp.format(since))") }
            if run.isActive { reasons.append("running now") }
            if reasons.isEmpty { notKept.append(run) } else { kept.append(.init(run: run, reasons: reasons)) }
        }
        let needed = Set(kept.flatMap { $0.run.plannedTasks().map(\.fingerprint.value) })
        let entries = cache.fingerprints().filter { !needed.contains($0) }.map { CacheCollection.Entry($0, in: cache) }
        let checkpoints = notKept.flatMap { run in
            run.plannedTasks().compactMap { task -> CacheCollection.Checkpoints? in
                let path = run.layout.checkpoints(task.id)
                guard FileManager.default.fileExists(atPath: path) else { return nil }
                return .init(run: run, task: task.id, bytes: DiskUsage.bytes(at: path))
            }
        }
        let interrupted = StoredRun.interruptedCreations(in: runsDirectory).map {
            CacheCollection.InterruptedCreation(path: $0, bytes: DiskUsage.bytes(at: $0))
        }
        return CacheCollection(kept: kept, notKept: notKept, entries: entries, checkpoints: checkpoints, interruptedCreations: interrupted)
    }

    /// Frees what `collection` lists and returns the bytes freed. Takes the cache's lock
    /// exclusively, so that no run uses the cache meanwhile: throws `DiskCommandError.cacheInUse`
    /// naming the active runs when one does and `wait` is false.
    public static func collect(_ collection: CacheCollection, runsDirectory: String, cacheDirectory: String?, wait: Bool) throws -> Int64 {
        let cache = TaskCache(runsDirectory: runsDirectory, override: cacheDirectory)
        let lock = try exclusiveLock(cacheDirectory: cache.directory, runsDirectory: runsDirectory, wait: wait)
        defer { lock.release() }
        var freed: Int64 = 0
        for entry in collection.entries { freed += try cache.removeEntry(entry.fingerprint) }
        for checkpoints in collection.checkpoints {
            let path = checkpoints.run.layout.checkpoints(checkpoints.task)
            freed += DiskUsage.bytes(at: path)
            try FileManager.default.removeItem(atPath: path)
        }
        for creation in collection.interruptedCreations {
            freed += DiskUsage.bytes(at: creation.path)
            try FileManager.default.removeItem(atPath: creation.path)
        }
        return freed
    }

    /// The cache's exclusive lock, or the error that names the runs holding it.
    static func exclusiveLock(cacheDirectory: String, runsDirectory: String, wait: Bool) throws -> CacheLock {
        do {
            return try CacheLock(cacheDirectory: cacheDirectory, mode: .exclusive, wait: wait)
        } catch CacheLockError.busy {
            let active = StoredRun.all(in: runsDirectory).filter(\.isActive).map { "\($0.record.study)/\($0.record.id)" }
            throw DiskCommandError.cacheInUse(active)
        }
    }
}

/// Why a disk command (`gc`, `rm`) cannot go on.
public enum DiskCommandError: Error, CustomStringConvertible {
    case cacheInUse([String])
    case runActive(String)

    public var description: String {
        switch self {
        case .cacheInUse(let runs):
            let which =
                runs.isEmpty
                ? "a running ablate uses the cache"
                : "run\(runs.count == 1 ? "" : "s") \(runs.joined(separator: ", ")) use\(runs.count == 1 ? "s" : "") the cache"
            return "\(which); nothing was removed: wait for \(runs.count == 1 ? "it" : "them") to end (or pass --wait)"
        case .runActive(let run):
            return "run \(run) is running; stop it first ('ablate cancel \(run)'), nothing was removed"
        }
    }
}
