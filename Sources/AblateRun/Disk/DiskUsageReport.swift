import AblateStore
import Foundation

/// `ablate du`: the space each run takes — the cache entries its plan uses (and those no
/// other run uses), its own files, its checkpoints — and, for one run, each stage's outputs.
public struct DiskUsageReport: Sendable {
    /// One run's share of the disk.
    public struct RunUsage: Sendable {
        public var run: StoredRun
        /// The cache entries its plan uses.
        public var outputs: Int64
        /// Those of them no other run uses (what `ablate rm` of the run frees with it).
        public var onlyHere: Int64
        /// Its directory's own files, checkpoints included.
        public var files: Int64
        public var checkpoints: Int64
    }

    /// One stage of a run.
    public struct StageUsage: Sendable {
        public var stage: String
        public var tasks: Int
        public var outputs: Int64
    }

    public var runs: [RunUsage]
    /// Per stage, for the one run asked about.
    public var stages: [StageUsage]
    /// The whole cache, and the part that no run under the runs directory uses.
    public var cacheBytes: Int64
    public var unusedCacheBytes: Int64
    public var cacheEntries: Int

    /// Measures the runs under `runsDirectory`, or only `only` (with its stages).
    public init(runsDirectory: String, cacheDirectory: String?, only: StoredRun?) {
        let cache = TaskCache(runsDirectory: runsDirectory, override: cacheDirectory)
        let all = StoredRun.all(in: runsDirectory, cacheDirectory: cacheDirectory)
        let plans = Dictionary(uniqueKeysWithValues: all.map { ($0.layout.runDirectory, $0.plannedTasks()) })
        var users: [String: Int] = [:]
        for tasks in plans.values {
            for fingerprint in Set(tasks.map(\.fingerprint.value)) { users[fingerprint, default: 0] += 1 }
        }
        var sizes: [String: Int64] = [:]
        let fingerprints = cache.fingerprints()
        for fingerprint in fingerprints { sizes[fingerprint] = DiskUsage.bytes(at: cache.directory + "/" + fingerprint) }
        cacheEntries = fingerprints.count
        cacheBytes = sizes.values.reduce(0, +)
        unusedCacheBytes = sizes.filter { users[$0.key] == nil }.values.reduce(0, +)
        let measured = only.map { run in all.filter { $0.layout.runDirectory == run.layout.runDirectory } } ?? all
        runs = measured.map { run in
            let used = Set((plans[run.layout.runDirectory] ?? []).map(\.fingerprint.value))
            let checkpoints = (plans[run.layout.runDirectory] ?? []).reduce(Int64(0)) { $0 + DiskUsage.bytes(at: run.layout.checkpoints($1.id)) }
            return RunUsage(
                run: run, outputs: used.reduce(0) { $0 + (sizes[$1] ?? 0) }, onlyHere: used.filter { users[$0] == 1 }.reduce(0) { $0 + (sizes[$1] ?? 0) },
                files: DiskUsage.bytes(at: run.layout.runDirectory), checkpoints: checkpoints)
        }
        stages =
            only.map { run in
                let tasks = plans[run.layout.runDirectory] ?? []
                return Dictionary(grouping: tasks, by: \.stage).map { stage, tasks in
                    StageUsage(stage: stage, tasks: tasks.count, outputs: Set(tasks.map(\.fingerprint.value)).reduce(0) { $0 + (sizes[$1] ?? 0) })
                }.sorted { ($0.outputs, $1.stage) > ($1.outputs, $0.stage) }
            } ?? []
    }
}
