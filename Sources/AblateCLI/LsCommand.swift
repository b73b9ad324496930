import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate ls`: the runs, oldest first.
struct LsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List runs: study, start, state and task counts.")

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let runs = RunLocator.runs(in: location.runsDirectory)
        let formatter = ISO8601DateFormatter()
        var rows: [[String: Any]] = []
        for (path, record) in runs {
            var counts: [String: Int] = [:]
            let layout = RunLayout(runDirectory: path)
            var state = record.state == .running && !RunLock.isHeld(path: layout.lockFile) ? "stopped" : record.state.rawValue
            do {
                for task in try layout.taskRecords() { counts[task.state.rawValue, default: 0] += 1 }
            } catch {
                // One damaged run does not hide the others; 'ablate status' on it says what is wrong.
                state = "damaged"
            }
            rows.append(["study": record.study, "run": record.id, "started": formatter.string(from: record.createdAt), "state": state, "tasks": counts])
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: rows, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        if rows.isEmpty {
            print("no runs in \(location.runsDirectory)")
            return
        }
        for row in rows {
            let counts = (row["tasks"] as? [String: Int]) ?? [:]
            let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
            print("\(row["study"] ?? "")/\(row["run"] ?? "")  \(row["started"] ?? "")  \(row["state"] ?? "")  \(summary)")
        }
    }
}
