import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate du [RUN]`: the space runs take, and for one run each stage's outputs.
struct DuCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "du", abstract: "Show the disk space of each run (its cached outputs, what only it uses, its files) and of the cache.",
        discussion: "With a run, also each stage's outputs. Outputs shared by runs count in each of them; ONLY HERE is what 'ablate rm' of the run frees.")

    @Argument(help: ArgumentHelp("A run: a run directory, STUDY/RUN-ID, a run id, or a study (its latest run).", valueName: "run"))
    var runName: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let only = try runName.map { name -> StoredRun in
            let layout = RunLayout(runDirectory: try RunLocator.find(name, runsDirectory: location.runsDirectory), cacheDirectory: location.cacheDirectory)
            return StoredRun(layout: layout, record: try layout.readRunRecord())
        }
        let report = DiskUsageReport(runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory, only: only)
        if json {
            let object: [String: Any] = [
                "runs": report.runs.map {
                    [
                        "run": "\($0.run.record.study)/\($0.run.record.id)", "outputsBytes": $0.outputs, "onlyHereBytes": $0.onlyHere, "filesBytes": $0.files,
                        "checkpointsBytes": $0.checkpoints, "pinned": $0.run.isPinned,
                    ] as [String: Any]
                },
                "stages": report.stages.map { ["stage": $0.stage, "tasks": $0.tasks, "outputsBytes": $0.outputs] as [String: Any] },
                "cache": ["bytes": report.cacheBytes, "entries": report.cacheEntries, "unusedBytes": report.unusedCacheBytes],
            ]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            return
        }
        let width = min(max(report.runs.map { $0.run.record.study.count + $0.run.record.id.count + 1 }.max() ?? 3, 3), 70)
        func size(_ bytes: Int64) -> String { DiskUsage.format(bytes).leftPadded(to: 9, with: " ") }
        print("RUN".padding(toLength: width, withPad: " ", startingAt: 0) + "    OUTPUTS  ONLY HERE      FILES  CHECKPOINTS")
        for usage in report.runs {
            let name = "\(usage.run.record.study)/\(usage.run.record.id)".padding(toLength: width, withPad: " ", startingAt: 0)
            print(
                "\(name)  \(size(usage.outputs))  \(size(usage.onlyHere))  \(size(usage.files))    \(size(usage.checkpoints))\(usage.run.isPinned ? "  pinned" : "")"
            )
        }
        if !report.stages.isEmpty {
            print("")
            let stageWidth = min(max(report.stages.map(\.stage.count).max() ?? 5, 5), 60)
            print("STAGE".padding(toLength: stageWidth, withPad: " ", startingAt: 0) + "  TASKS    OUTPUTS")
            for stage in report.stages {
                print(
                    "\(stage.stage.padding(toLength: stageWidth, withPad: " ", startingAt: 0))  \(String(stage.tasks).leftPadded(to: 5, with: " "))  \(size(stage.outputs))"
                )
            }
        }
        let unused = report.unusedCacheBytes > 0 ? "; \(DiskUsage.format(report.unusedCacheBytes)) of it no run uses ('ablate gc' frees it)" : ""
        print("\ncache: \(DiskUsage.format(report.cacheBytes)) in \(report.cacheEntries) entr\(report.cacheEntries == 1 ? "y" : "ies")\(unused)")
    }
}
