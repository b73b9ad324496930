import AblateCore
import Foundation

/// A run directory as the disk commands see it (`gc`, `rm`, `du`, `pin`): its record, whether
/// it is pinned or driven by an ablate now, and the cache entries its plan needs.
public struct StoredRun: Sendable {
    public let layout: RunLayout
    public let record: RunRecord

    public init(layout: RunLayout, record: RunRecord) {
        self.layout = layout
        self.record = record
    }

    /// Every run under a runs directory whose `run.json` can be read, oldest first.
    public static func all(in runsDirectory: String, cacheDirectory: String? = nil) -> [StoredRun] {
        let found = directories(in: runsDirectory, staging: false).compactMap { path -> StoredRun? in
            let layout = RunLayout(runDirectory: path, cacheDirectory: cacheDirectory)
            // A directory whose run.json cannot be read is not listed; naming it gives the reason.
            return (try? layout.readRunRecord()).map { StoredRun(layout: layout, record: $0) }
        }
        return found.sorted { ($0.record.createdAt, $0.record.id) < ($1.record.createdAt, $1.record.id) }
    }

    /// The run directories whose creation was interrupted (`RunLayout.stagingPrefix`: an ablate
    /// died before it could give the run its name): no ablate holds their lock, and none was
    /// touched in the last `minimumAge` seconds (a run being created now holds its lock a moment
    /// after its directory exists).
    public static func interruptedCreations(in runsDirectory: String, minimumAge: TimeInterval = 60) -> [String] {
        directories(in: runsDirectory, staging: true).filter { path in
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
            return Date().timeIntervalSince(modified) >= minimumAge && !RunLock.isHeld(path: RunLayout(runDirectory: path).lockFile)
        }.sorted()
    }

    /// The paths of the run directories in each study's folder (`Runs/<study>/<run>`), or of
    /// those still being created (`staging`: named with `RunLayout.stagingPrefix`).
    private static func directories(in runsDirectory: String, staging: Bool) -> [String] {
        let manager = FileManager.default
        var found: [String] = []
        for study in (try? manager.contentsOfDirectory(atPath: runsDirectory)) ?? [] where !study.hasPrefix(".") {
            let studyPath = runsDirectory + "/" + study
            for name in (try? manager.contentsOfDirectory(atPath: studyPath)) ?? [] where name.hasPrefix(RunLayout.stagingPrefix) == staging {
                found.append(studyPath + "/" + name)
            }
        }
        return found
    }

    /// Kept by every `ablate gc` until `ablate unpin`.
    public var isPinned: Bool { FileManager.default.fileExists(atPath: layout.pinFile) }

    /// An ablate drives the run now (it holds the run's lock).
    public var isActive: Bool { RunLock.isHeld(path: layout.lockFile) }

    /// Marks the run as kept (`ablate pin`), or no longer (`ablate unpin`).
    public func setPinned(_ pinned: Bool) throws {
        if pinned {
            try AtomicFile.write(Data("pinned with 'ablate pin'; 'ablate unpin' lets gc free its outputs\n".utf8), to: layout.pinFile)
        } else if isPinned {
            try FileManager.default.removeItem(atPath: layout.pinFile)
        }
    }

    /// The tasks of the run's plan: what it needs from the cache to resume as fully cached.
    public func plannedTasks() -> [PlannedTaskSummary] {
        struct PlanFile: Decodable { var tasks: [PlannedTaskSummary] }
        guard let data = FileManager.default.contents(atPath: layout.planFile) else { return [] }
        return (try? JSONDecoder().decode(PlanFile.self, from: data))?.tasks ?? []
    }
}

/// What the disk commands read of a planned task in `plan.json`.
public struct PlannedTaskSummary: Decodable, Sendable {
    public var id: String
    public var stage: String
    public var fingerprint: Fingerprint
}
