import AblateCore
import Foundation

/// Rebuilds a run's index from its files (`run.json`, `plan.json`, each task's
/// `status.json` and `metrics.json`): the files are the truth, the index a view of them.
public enum Reindexer {
    /// Writes a fresh index beside the old one and swaps it in, so readers never see half.
    public static func reindex(runDirectory: String) throws -> Int {
        let layout = RunLayout(runDirectory: runDirectory)
        let run = try layout.readRunRecord()
        var tasks: [(TaskRecord, MetricsRecord?)] = []
        for id in try layout.plannedTaskIDs() {
            guard let record = try layout.readTaskRecord(id) else { continue }
            tasks.append((record, try layout.readMetricsRecord(id)))
        }
        let temporary = layout.index + ".rebuild"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: temporary + suffix) }
        do {
            let index = try RunIndex(path: temporary)
            let plan = try JSONDecoder().decode(Plan.self, from: Data(contentsOf: URL(fileURLWithPath: layout.planFile)))
            try index.replaceAll(run: run, variants: plan.variants, tasks: tasks)
        }
        for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: layout.index + suffix) }
        guard rename(temporary, layout.index) == 0 else { throw FileError.system("cannot replace \(layout.index)", errno) }
        // An ablate driving the run goes on writing to the index it opened, which this one
        // replaced: the new one is marked as not holding those changes, and the next resume
        // rebuilds it. (Checked after the swap: a session that locks the run later opens this one.)
        if RunLock.isHeld(path: layout.lockFile) { try RunIndex(path: layout.index).setComplete(false) }
        return tasks.count
    }

}
