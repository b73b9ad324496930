import AblateStore
import Foundation

/// `ablate rm RUN`: the run's directory and the cache entries that no other run's plan needs.
public struct RunRemoval: Sendable {
    public let run: StoredRun
    /// Cache entries only this run needs.
    public let entries: [CacheCollection.Entry]
    /// The run directory's own bytes (records, logs, checkpoints).
    public let runBytes: Int64

    public var bytes: Int64 { runBytes + entries.reduce(0) { $0 + $1.bytes } }

    /// What removing the run frees; reads only.
    public init(run: StoredRun, runsDirectory: String, cacheDirectory: String?) {
        self.run = run
        let cache = TaskCache(runsDirectory: runsDirectory, override: cacheDirectory)
        let others = StoredRun.all(in: runsDirectory, cacheDirectory: cacheDirectory).filter { $0.layout.runDirectory != run.layout.runDirectory }
        let neededElsewhere = Set(others.flatMap { $0.plannedTasks().map(\.fingerprint.value) })
        let own = Set(run.plannedTasks().map(\.fingerprint.value)).subtracting(neededElsewhere)
        entries = own.sorted().filter { FileManager.default.fileExists(atPath: cache.directory + "/" + $0) }.map { CacheCollection.Entry($0, in: cache) }
        runBytes = DiskUsage.bytes(at: run.layout.runDirectory)
    }

    /// Removes the run and its entries, holding the run's lock (it must not be running) and the
    /// cache's exclusive lock; returns the bytes freed.
    public func perform(runsDirectory: String, cacheDirectory: String?, wait: Bool) throws -> Int64 {
        let runLock: RunLock
        do {
            runLock = try RunLock(path: run.layout.lockFile)
        } catch is RunLockError {
            throw DiskCommandError.runActive("\(run.record.study)/\(run.record.id)")
        }
        defer { runLock.release() }
        let cache = TaskCache(runsDirectory: runsDirectory, override: cacheDirectory)
        let cacheLock = try CacheCollector.exclusiveLock(cacheDirectory: cache.directory, runsDirectory: runsDirectory, wait: wait)
        defer { cacheLock.release() }
        var freed: Int64 = 0
        for entry in entries { freed += try cache.removeEntry(entry.fingerprint) }
        freed += DiskUsage.bytes(at: run.layout.runDirectory)
        // run.json first: a directory left half removed is no run at all.
        try FileManager.default.removeItem(atPath: run.layout.runRecord)
        try FileManager.default.removeItem(atPath: run.layout.runDirectory)
        return freed
    }
}
