import AblateCore
import AblateReport
import AblateRun
import AblateTestSupport
import Foundation
import GRDB
import Testing

@testable import AblateStore

/// The report reads run indexes and draws the table a paper needs.
@Suite struct ReportTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Snapshots"

    /// Seed 003's results (ARC, PIQA, HellaSwag, MMLU, ToxiGen, TruthfulQA), by variant.
    static let seedFigures: [String: [Double]] = [
        "sft_data=none,dpo_data=none": [46.24, 79.11, 75.98, 42.73, 43.19, 38.96],
        "sft_data=shp-sft,dpo_data=none": [45.56, 78.83, 77.06, 40.42, 43.19, 38.83],
        "sft_data=shp-sft,dpo_data=shp": [34.48, 75.78, 70.1, 26.87, 42.76, 40.15],
        "sft_data=orca,dpo_data=none": [48.2, 79.3, 76.37, 38.8, 43.19, 40.2],
        "sft_data=orca,dpo_data=hh-rlhf": [43, 77.1, 69.7, 31.8, 33.29, 44.5],
        "sft_data=lima,dpo_data=none": [45.22, 79.65, 77.35, 38.9, 43.19, 43.35],
    ]
    static let metricNames = ["arc_challenge/acc_norm", "piqa/acc_norm", "hellaswag/acc_norm", "mmlu/acc", "toxigen/acc_norm", "truthfulqa_mc2/acc"]
    /// Seed 003's safety scores (Asian … Women), by variant.
    static let safetyFigures: [String: [Double]] = [
        "sft_data=none,dpo_data=none": [0.38, 0.33, 0.36, 0.37, 0.20, 0.26, 0.26, 0.21, 0.23, 0.29, 0.23, 0.21],
        "sft_data=shp-sft,dpo_data=none": [0.40, 0.36, 0.38, 0.38, 0.22, 0.28, 0.28, 0.24, 0.25, 0.31, 0.25, 0.23],
        "sft_data=orca,dpo_data=none": [0.40, 0.36, 0.38, 0.37, 0.23, 0.30, 0.28, 0.25, 0.26, 0.31, 0.26, 0.22],
        "sft_data=shp-sft,dpo_data=shp": [0.36, 0.32, 0.34, 0.36, 0.20, 0.24, 0.21, 0.21, 0.23, 0.28, 0.21, 0.19],
        "sft_data=orca,dpo_data=hh-rlhf": [0.45, 0.40, 0.42, 0.43, 0.29, 0.32, 0.33, 0.32, 0.27, 0.36, 0.28, 0.26],
    ]
    static let groups = ["asian", "black", "chinese", "jewish", "latino", "lgbtq", "mental_dis", "mexican", "middle_east", "muslim", "physical_dis", "women"]

    /// A run directory of `data-impact.yaml` whose evaluations carry the seed's figures; the
    /// variants the seed did not report have failed evaluations.
    static func dataImpactRun() throws -> String {
        let spec = repository + "/Experiments/data-impact.yaml"
        let plan = try #require(StudyCompiler().compile(path: spec).plan)
        let directory = Scratch.path("report") + "/data-impact/fixture"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: spec, toPath: directory + "/spec.yaml")
        let index = try RunIndex(path: directory + "/index.sqlite")
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let provenance = Provenance(gitCommit: nil, gitDirty: nil, host: "fixture", ablateVersion: "0", toolVersions: [:], environmentFingerprint: "0")
        try index.record(
            run: RunRecord(
                id: "fixture", study: plan.study, specFile: spec, state: .failed, createdAt: date, pid: 1, heartbeatAt: date, executor: .local,
                provenance: provenance))
        try index.record(variants: plan.variants, runID: "fixture")
        for task in plan.tasks {
            let variant = task.variants.first ?? ""
            let figures = task.stage == "eval" ? seedFigures[variant] : nil
            let safety = task.stage == "safety" ? safetyFigures[variant] : nil
            let reported = task.stage == "eval" ? figures != nil : task.stage == "safety" ? safety != nil : true
            var record = TaskRecord(task: task, state: reported ? .completed : .failed)
            if record.state == .failed { record.reason = "exited with code 1" }
            var metrics = MetricsRecord()
            for (name, figure) in zip(metricNames, figures ?? []) {
                metrics.scalars[name] = MetricsRecord.Scalar(value: figure / 100, stderr: name.hasPrefix("arc") ? 0.0146 : nil)
            }
            for (group, figure) in zip(Self.groups, safety ?? []) { metrics.scalars["safety/" + group] = MetricsRecord.Scalar(value: figure, stderr: nil) }
            try index.record(tasks: [(record, metrics)], runID: "fixture")
        }
        return directory
    }

    @Test func theDataImpactReportHasTheShapeOfTheSeedTable() throws {
        let directory = try Self.dataImpactRun()
        let report = try #require(SpecLoader().load(path: directory + "/spec.yaml").spec?.report)
        let table = try ResultsTableBuilder(report: report).build([RunResults.load(runDirectory: directory)])
        #expect(
            table.rows.map(\.label) == [
                "Llama Base", "Llama SFT SHP", "Llama SFT SHP, DPO SHP", "Llama SFT Lima", "Llama SFT Orca", "Llama SFT Orca, DPO Anthropic",
            ])
        #expect(table.rows[0].isReference)
        #expect(table.rows[1].cells[0].delta.map { ($0 * 100).rounded() / 100 } == -0.68)
        #expect(table.missing.count == 5, "four variants the seed did not report, and Lima's safety")
        Snapshot.assertMatches(MarkdownRenderer().render(table), named: "data-impact.md", in: Self.snapshots)
    }

    @Test func theSafetyTableHasTheShapeOfTheSeedsSecondTable() throws {
        let directory = try Self.dataImpactRun()
        let spec = try #require(SpecLoader().load(path: directory + "/spec.yaml").spec?.report)
        let report = try #require(spec.selecting(table: "safety"))
        let table = try ResultsTableBuilder(report: report).build([RunResults.load(runDirectory: directory)])
        #expect(
            table.columns.map(\.label) == [
                "Asian", "Black", "Chinese", "Jewish", "Latino", "LGBTQ", "Mental Dis", "Mexican", "Middle Eastern", "Muslim", "Physical Dis", "Women",
            ])
        #expect(
            table.rows.map(\.label) == ["Llama Base", "Llama SFT SHP", "Llama SFT SHP, DPO SHP", "Llama SFT Orca", "Llama SFT Orca, DPO Anthropic"])
        #expect(table.rows.last?.cells.allSatisfy(\.isBest) == true, "DPO on HH-RLHF is the safest for every group, as in the seed")
        Snapshot.assertMatches(MarkdownRenderer().render(table), named: "data-impact-safety.md", in: Self.snapshots)
    }

    @Test func missingValuesStayMissingInEveryFormat() throws {
        let directory = try Self.dataImpactRun()
        var report = ReportSpec()
        report.columns = [ReportSpec.Column(metric: "eval/*/acc_norm")]
        let table = try ResultsTableBuilder(report: report).build([RunResults.load(runDirectory: directory)])
        #expect(table.columns.map(\.key) == ["eval/arc_challenge/acc_norm", "eval/hellaswag/acc_norm", "eval/piqa/acc_norm", "eval/toxigen/acc_norm"])
        let csv = CSVRenderer().render(table)
        #expect(!csv.contains(",0,"))
        // Every row has a field under every header: value, stderr, interval, delta, best per metric.
        let lines = csv.split(separator: "\r\n").map { line in
            // Commas outside quotes, plus one.
            line.reduce(into: (fields: 1, quoted: false)) { state, character in
                if character == "\"" { state.quoted.toggle() } else if character == ",", !state.quoted { state.fields += 1 }
            }.fields
        }
        #expect(lines.first == 5 + 12 * table.columns.count)
        #expect(Set(lines) == [5 + 12 * table.columns.count])
        let json = try JSONReportRenderer().render(table)
        #expect(json.contains("\"missing\""))
        #expect(TextTableRenderer().render(table).contains("missing:"))
    }

    @Test func comparingRunsListsOnlyTheConfigurationThatDiffers() async throws {
        let spec = #"""
            ablate: 1
            name: compare
            stages:
              score:
                kind: command
                seed: SEED
                command: [sh, -c, 'printf "{\"score\": %s}" "$0" > "$1/metrics.json"', "SEED", "${outputs.output}"]
            """#
        let first = try Harness(spec.replacingOccurrences(of: "SEED", with: "1"))
        let second = try Harness(spec.replacingOccurrences(of: "SEED", with: "2"))
        let (a, _) = try await first.run()
        let (b, _) = try await second.run()
        let table = try ResultsTableBuilder(report: ReportSpec()).build([
            RunResults.load(runDirectory: a.layout.runDirectory), RunResults.load(runDirectory: b.layout.runDirectory),
        ])
        #expect(table.rows.map { $0.cells[0].value } == [1, 2])
        #expect(table.configDifferences.map(\.key) == ["score.seed"])
        #expect(table.rows[1].cells[0].isBest)
    }

    @Test func perItemMetricsGetBootstrapConfidenceIntervals() async throws {
        let harness = try Harness(
            #"""
            ablate: 1
            name: judged
            sweep:
              grid:
                policy: [strong, weak]
            stages:
              judge:
                kind: command
                command: [sh, -c, 'for i in $(seq 1 40); do if [ "$0" = strong ] && [ $((i % 4)) -ne 0 ] || [ $((i % 4)) -eq 0 ]; then w=1; else w=0; fi; echo "{\"item\": $i, \"win_rate\": $w}"; done > "$1/items.jsonl"', "${sweep.policy}", "${outputs.output}"]
            """#)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        let table = try ResultsTableBuilder(report: ReportSpec()).build([RunResults.load(runDirectory: session.layout.runDirectory)])
        #expect(table.columns.map(\.key) == ["judge/win_rate"])
        let strong = try #require(table.rows.first { $0.variants == ["policy=strong"] }?.cells.first)
        let weak = try #require(table.rows.first { $0.variants == ["policy=weak"] }?.cells.first)
        #expect(strong.value == 1.0)
        #expect(weak.value == 0.25)
        let low = try #require(weak.intervalLow)
        let high = try #require(weak.intervalHigh)
        #expect(low < 0.25 && 0.25 < high && low >= 0 && high <= 1)
        // Seeded: the same table twice.
        let again = try ResultsTableBuilder(report: ReportSpec()).build([RunResults.load(runDirectory: session.layout.runDirectory)])
        #expect(again.rows.first { $0.variants == ["policy=weak"] }?.cells.first == weak)
        #expect(MarkdownRenderer().render(table).contains("0.25 ["))
    }
}

/// Indexes written by an earlier version of the schema are still readable.
@Suite struct OlderIndexTests {
    @Test func anIndexWithoutTheLatestMigrationIsMigratedBeforeAReport() throws {
        let directory = Scratch.path("old-index")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/index.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try RunIndex.migrator.migrate(queue, upTo: "v2: variants and their tasks")
            try queue.write { db in
                try db.execute(
                    sql:
                        "INSERT INTO run (id, study, specFile, state, createdAt, pid, heartbeatAt, executor) VALUES ('old', 's', 'f', 'completed', '2026-01-01 00:00:00.000', 1, '2026-01-01 00:00:00.000', 'local')"
                )
            }
        }
        let results = try RunResults.load(runDirectory: directory)
        #expect(results.run.id == "old")
        let table = try ResultsTableBuilder(report: ReportSpec()).build([results])
        #expect(table.missing.first?.contains("ablate reindex") == true)
    }
}
