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

    public func entryDirectory(_ fingerprint: Fingerprint) -> String { directory + "/" + fingerprint.value }
    public func outputs(_ fingerprint: Fingerprint) -> String { entryDirectory(fingerprint) + "/outputs" }
    private func entryFile(_ fingerprint: Fingerprint) -> String { entryDirectory(fingerprint) + "/entry.json" }

    /// The entry of a completed task with this fingerprint, if any run finished one.
    public func entry(for fingerprint: Fingerprint) -> Entry? {
        guard let entry = try? AtomicFile.readJSON(Entry.self, from: entryFile(fingerprint)) else { return nil }
        return FileManager.default.fileExists(atPath: outputs(fingerprint)) ? entry : nil
    }

    /// Moves a task's finished outputs into the cache (a rename: model weights are never
    /// copied) and leaves a link in their place. Only completed tasks get here.
    public func store(outputsAt taskOutputs: String, fingerprint: Fingerprint, origin: CacheOrigin, metrics: MetricsRecord) throws {
        let manager = FileManager.default
        let entryDirectory = entryDirectory(fingerprint)
        try manager.createDirectory(atPath: entryDirectory, withIntermediateDirectories: true)
        let target = outputs(fingerprint)
        // A store cut short after the move (the task's outputs already link to the cache) only
        // lacks its entry; a leftover of any other kind goes first.
        let moved = (try? manager.destinationOfSymbolicLink(atPath: taskOutputs)) == target && manager.fileExists(atPath: target)
        if !moved {
            // Without following links: a link left dangling is a leftover too.
            if (try? manager.attributesOfItem(atPath: target)) != nil { try manager.removeItem(atPath: target) }
            if rename(taskOutputs, target) != 0 {
                // Another file system: keep the outputs where they are and point the cache at them.
                try manager.createSymbolicLink(atPath: target, withDestinationPath: taskOutputs)
            } else {
                try manager.createSymbolicLink(atPath: taskOutputs, withDestinationPath: target)
            }
        }
        AtomicFile.syncDirectory(entryDirectory)
        let entry = Entry(fingerprint: fingerprint.value, origin: origin, completedAt: Timestamp.now(), metrics: metrics)
        try AtomicFile.writeJSON(entry, to: entryFile(fingerprint))
    }

    /// Links a run's task directory to cached outputs.
    public func link(_ fingerprint: Fingerprint, into taskOutputs: String) throws {
        let manager = FileManager.default
        if (try? manager.destinationOfSymbolicLink(atPath: taskOutputs)) != nil || manager.fileExists(atPath: taskOutputs) {
            try manager.removeItem(atPath: taskOutputs)
        }
        try manager.createSymbolicLink(atPath: taskOutputs, withDestinationPath: outputs(fingerprint))
    }

    /// Forgets a cached task (for example after its outputs were deleted by hand).
    public func remove(_ fingerprint: Fingerprint) throws {
        let path = entryDirectory(fingerprint)
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}
