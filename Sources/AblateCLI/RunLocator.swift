import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// Finds the run a user names: a run directory, `STUDY/RUN-ID`, a run id, a study name (its
/// latest run) or nothing at all (the latest run of any study).
enum RunLocator {
    static func runs(in runsDirectory: String) -> [(path: String, record: RunRecord)] {
        StoredRun.all(in: runsDirectory).map { ($0.layout.runDirectory, $0.record) }
    }

    static func find(_ name: String?, runsDirectory: String) throws -> String {
        let manager = FileManager.default
        if let name, manager.fileExists(atPath: RunLayout(runDirectory: name).runRecord) { return URL(fileURLWithPath: name).standardizedFileURL.path }
        if let name, manager.fileExists(atPath: RunLayout(runDirectory: runsDirectory + "/" + name).runRecord) { return runsDirectory + "/" + name }
        let all = runs(in: runsDirectory)
        let matching = all.filter { name == nil || $0.record.id == name || $0.record.study == name }
        guard let latest = matching.last else {
            let what = name.map { "no run named '\($0)'" } ?? "no runs yet"
            throw UserError("\(what) in \(runsDirectory); 'ablate ls' lists the runs, and --runs-dir or ABLATE_RUNS_DIR moves them")
        }
        return latest.path
    }
}
