import AblateCore
import Foundation

/// The content-addressed store of completed task outputs, shared by every run:
/// `<cache>/<fingerprint>/outputs/` and `entry.json`, which is written last, so an entry
/// without it is incomplete and ignored.
public struct TaskCache: Sendable {
    /// What the cache knows of a completed task.
    public struct Entry: Codable, Hashable, Sendable {
        public var fingerprint: String
        public var origin: CacheOrigin
        public var completedAt: Date
        public var metrics: MetricsRecord
    }

    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    /// The cache of the runs under `runsDirectory`, or the one `--cache-dir` names.
    public init(runsDirectory: String, override: String?) {
        self.init(directory: RunLayout.cacheDirectory(runsDirectory: runsDirectory, override: override))
    }

    public func entryDirectory(_ fingerprint: Fingerprint) -> String { directory + "/" + fingerprint.value }
    public func outputs(_ fingerprint: Fingerprint) -> String { entryDirectory(fingerprint) + "/outputs" }
    private func entryFile(_ fingerprint: Fingerprint) -> String { entryDirectory(fingerprint) + "/entry.json" }

    /// The entry of a completed task with this fingerprint, if any run finished one.
    public func entry(for fingerprint: Fingerprint) -> Entry? { entry(forValue: fingerprint.value) }

    /// The complete entry of a fingerprint given as its 64 hex digits.
    public func entry(forValue fingerprint: String) -> Entry? {
        let path = directory + "/" + fingerprint
        guard let entry = try? AtomicFile.readJSON(Entry.self, from: path + "/entry.json") else { return nil }
        return FileManager.default.fileExists(atPath: path + "/outputs") ? entry : nil
    }

    /// Moves a task's finished outputs into the cache (a rename: model weights are never
    /// copied) and leaves a link in their place. Only completed tasks get here. `.deferred`
    /// leaves the entry to the caller's next flush (a `GroupCommit`).
    public func store(
        outputsAt taskOutputs: String, fingerprint: Fingerprint, origin: CacheOrigin, metrics: MetricsRecord,
        durability: AtomicFile.Durability = .fileAndDirectory
    ) throws {
        // Every completed task is stored: plain system calls, not FileManager's dictionaries.
        let manager = FileManager.default
        let entryDirectory = entryDirectory(fingerprint)
        let empty = try Directories.make(entryDirectory)
        let target = outputs(fingerprint)
        // A store cut short after the move (the task's outputs already link to the cache) only
        // lacks its entry; a leftover of any other kind goes first. An entry made now has none.
        var status = stat()
        let moved = !empty && Self.linkDestination(taskOutputs) == target && stat(target, &status) == 0
        if !moved {
            // Without following links: a link left dangling is a leftover too.
            if !empty, lstat(target, &status) == 0 { try manager.removeItem(atPath: target) }
            if rename(taskOutputs, target) != 0 {
                // Another file system: keep the outputs where they are and point the cache at them.
                try manager.createSymbolicLink(atPath: target, withDestinationPath: taskOutputs)
            } else {
                try manager.createSymbolicLink(atPath: taskOutputs, withDestinationPath: target)
            }
        }
        // The outputs of a temporary task that runs again are back.
        if !empty { unlink(entryDirectory + "/released.json") }
        if durability != .deferred { AtomicFile.syncDirectory(entryDirectory) }
        let entry = Entry(fingerprint: fingerprint.value, origin: origin, completedAt: Timestamp.now(), metrics: metrics)
        try AtomicFile.writeJSONLine(entry, to: entryFile(fingerprint), durability: durability)
    }

    /// Where the link at `path` points; nil when it is not a link.
    private static func linkDestination(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &buffer, buffer.count - 1)
        guard length >= 0 else { return nil }
        return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Links a run's task directory to cached outputs.
    public func link(_ fingerprint: Fingerprint, into taskOutputs: String) throws {
        // Without following links: a link, dangling or not, goes as a file or directory does.
        var status = stat()
        if lstat(taskOutputs, &status) == 0 { try FileManager.default.removeItem(atPath: taskOutputs) }
        try FileManager.default.createSymbolicLink(atPath: taskOutputs, withDestinationPath: outputs(fingerprint))
    }

    /// The fingerprints of every entry in the cache, complete or not.
    public func fingerprints() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.count == 64 && $0.allSatisfy(\.isHexDigit) }.sorted()
    }

    /// Removes the entry of `fingerprint` (given as its 64 hex digits) and returns the bytes it
    /// held: `entry.json` goes first, so that an entry half removed is an incomplete one.
    @discardableResult
    public func removeEntry(_ fingerprint: String) throws -> Int64 {
        let path = directory + "/" + fingerprint
        let bytes = DiskUsage.bytes(at: path)
        let entry = path + "/entry.json"
        if FileManager.default.fileExists(atPath: entry) { try FileManager.default.removeItem(atPath: entry) }
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        return bytes
    }

    /// What is left of a temporary task's entry once its outputs were deleted: who produced them
    /// and when they went (`released.json`).
    public struct Release: Codable, Hashable, Sendable {
        public var origin: CacheOrigin
        public var releasedAt: Date
        /// The task's metrics, which outlive its outputs.
        public var metrics: MetricsRecord
    }

    /// Deletes a temporary task's outputs (its readers have all completed) and leaves
    /// `released.json` in their place, so that a later plan can say why they are gone.
    public func release(_ fingerprint: Fingerprint) throws {
        guard let entry = entry(for: fingerprint) else { return }
        let release = Release(origin: entry.origin, releasedAt: Timestamp.now(), metrics: entry.metrics)
        try AtomicFile.writeJSON(release, to: entryDirectory(fingerprint) + "/released.json")
        try FileManager.default.removeItem(atPath: entryFile(fingerprint))
        let outputs = outputs(fingerprint)
        if (try? FileManager.default.attributesOfItem(atPath: outputs)) != nil { try FileManager.default.removeItem(atPath: outputs) }
    }

    /// The release of a temporary task's outputs, when they were deleted so.
    public func release(of fingerprint: Fingerprint) -> Release? {
        guard entry(for: fingerprint) == nil else { return nil }
        return try? AtomicFile.readJSON(Release.self, from: entryDirectory(fingerprint) + "/released.json")
    }

    /// Forgets a cached task (for example after its outputs were deleted by hand).
    public func remove(_ fingerprint: Fingerprint) throws {
        let path = entryDirectory(fingerprint)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}
