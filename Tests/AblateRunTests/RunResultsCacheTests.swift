import AblateCore
import Foundation
import GRDB
import Testing

@testable import AblateReport
@testable import AblateStore

/// `report.cache`: a second report reads the cache instead of SQLite and draws the same
/// table; a changed index or a damaged cache is never trusted.
@Suite struct RunResultsCacheTests {
    private func markdown(_ directory: String) throws -> String {
        let report = try #require(SpecLoader().load(path: directory + "/spec.yaml").spec?.report)
        return MarkdownRenderer().render(try ResultsTableBuilder(report: report).build([RunResults.load(runDirectory: directory)]))
    }

    @Test func aSecondReportComesFromTheCacheAndMatchesTheFirst() throws {
        let directory = try ReportTests.dataImpactRun()
        let cache = RunLayout(runDirectory: directory).reportCache
        #expect(!FileManager.default.fileExists(atPath: cache))
        let first = try markdown(directory)
        #expect(FileManager.default.fileExists(atPath: cache), "the first report wrote the cache")
        let cached = try #require(RunResultsCache.read(runDirectory: directory, stamp: .init(runDirectory: directory)))
        #expect(cached.variants == (try RunIndex(path: directory + "/index.sqlite").writer.read { try VariantRow.order(Column("position")).fetchAll($0) }))
        #expect(try markdown(directory) == first)
        #expect(first.contains("46.24 ± 1.46"), "values and standard errors survive the cache")
    }

    @Test func aChangedIndexOrADamagedCacheIsReadAgainFromSQLite() throws {
        let directory = try ReportTests.dataImpactRun()
        _ = try markdown(directory)
        // A new value in the index changes its files: the cache no longer matches.
        let index = try RunIndex(path: directory + "/index.sqlite")
        let plan = try #require(StudyCompiler().compile(path: ReportTests.repository + "/Experiments/data-impact.yaml").plan)
        let base = try #require(plan.tasks.first { $0.stage == "eval" && $0.variants.contains("sft_data=none,dpo_data=none") })
        var metrics = MetricsRecord()
        metrics.scalars["arc_challenge/acc_norm"] = MetricsRecord.Scalar(value: 0.9, stderr: nil)
        try index.record(tasks: [(TaskRecord(task: base, state: .completed), metrics)], runID: "fixture")
        #expect(RunResultsCache.read(runDirectory: directory, stamp: .init(runDirectory: directory)) == nil)
        #expect(try markdown(directory).contains("90.00"))

        // A cut-off or scrambled cache is ignored (and replaced).
        let path = RunLayout(runDirectory: directory).reportCache
        let intact = try Data(contentsOf: URL(fileURLWithPath: path))
        for damaged in [intact.prefix(intact.count / 2), Data(intact.map { $0 ^ 0x5a }), Data()] {
            try damaged.write(to: URL(fileURLWithPath: path))
            #expect(RunResultsCache.read(runDirectory: directory, stamp: .init(runDirectory: directory)) == nil)
            #expect(try markdown(directory).contains("90.00"))
        }
        #expect(RunResultsCache.read(runDirectory: directory, stamp: .init(runDirectory: directory)) != nil, "the cache was written anew")
    }
}
