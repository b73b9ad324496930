import AblateRun
import AblateTestSupport
import Foundation
import Testing

/// A finished run leaves `report.cache` valid, so that even the first report reads it instead
/// of the index.
@Suite struct ReportCacheTests {
    @Test func aFinishedRunLeavesACacheThatTheFirstReportUses() async throws {
        let directory = Scratch.path("report-cache")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        ablate: 1
        name: cached-report
        sweep:
          grid:
            i: [1, 2]
        stages:
          score: {kind: command, run: "echo '{\\"score\\": ${sweep.i}}' > ${outputs.output}/metrics.json"}
        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
        let run = try await CLIRunner.run(["run", "study.yaml", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let study = directory + "/Runs/cached-report"
        let runDirectory = study + "/" + (try FileManager.default.contentsOfDirectory(atPath: study).first { !$0.hasPrefix(".") } ?? "")
        let cache = runDirectory + "/report.cache"
        let written = try FileManager.default.attributesOfItem(atPath: cache)[.modificationDate] as? Date
        #expect(written != nil, "the run wrote its report cache")

        let report = try await CLIRunner.run(["report", "cached-report", "--format", "csv", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("i=2"))
        let after = try FileManager.default.attributesOfItem(atPath: cache)[.modificationDate] as? Date
        #expect(after == written, "the report read the cache as it was: the index did not change after the run wrote it")
    }
}
