import AblateCore
import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

@testable import AblateReport

/// Seeds aggregated into one row, each cell tested against the reference row, and the numbers
/// behind both checked against SciPy.
@Suite struct ReportStatisticsTests {
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path + "/Snapshots"

    /// Two models (one named with Markdown's and HTML's specials) by three seeds: `score` grows
    /// with the seed, differently per model; `acc` is per item, the same items for every variant.
    static let spec = #"""
        ablate: 1
        name: seeded
        sweep:
          grid:
            model: [meta-llama/Llama-2-7b-hf, "<b>x|y</b>_1"]
          seeds: [1, 2, 3]
        stages:
          score:
            kind: command
            command:
              - sh
              - -c
              - |
                case "$0" in meta-*) base=50; step=1; every=2;; *) base=60; step=2; every=4;; esac
                awk -v b="$base" -v k="$step" -v s="$1" 'BEGIN { printf "{\"score\": %.4f}", (b + k * s * s) / 100 }' > "$2/metrics.json"
                for i in $(seq 1 30); do if [ $((i % every)) -ne 0 ]; then a=1; else a=0; fi; echo "{\"item\": $i, \"acc\": $a}"; done > "$2/items.jsonl"
              - ${sweep.model}
              - ${sweep.seed}
              - ${outputs.output}
        report:
          reference: {model: meta-llama/Llama-2-7b-hf}
        """#

    /// The scores each model's seeds write, as the spec computes them.
    static let llamaScores = [0.51, 0.54, 0.59]
    static let otherScores = [0.62, 0.68, 0.78]

    static func seededRun() async throws -> String {
        let harness = try Harness(spec)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        return session.layout.runDirectory
    }

    static func table(_ directory: String, perSeed: Bool = false) throws -> ResultsTable {
        let report = try #require(SpecLoader().load(path: RunLayout(runDirectory: directory).specCopy).spec?.report)
        return try ResultsTableBuilder(report: report, perSeed: perSeed).build([RunResults.load(runDirectory: directory)])
    }

    @Test func variantsThatDifferOnlyInTheirSeedFormOneRowWithTheirSpread() async throws {
        let directory = try await Self.seededRun()
        let table = try Self.table(directory)
        #expect(table.rows.map(\.label) == ["model=meta-llama/Llama-2-7b-hf", "model=<b>x|y</b>_1"])
        #expect(table.rows.map(\.seeds) == [["1", "2", "3"], ["1", "2", "3"]])
        #expect(table.rows[0].isReference && table.rows[0].perSeed.map(\.label) == (1...3).map { "model=meta-llama/Llama-2-7b-hf, seed=\($0)" })
        let score = try #require(table.columns.firstIndex { $0.key == "score/score" })
        let cell = table.rows[1].cells[score]
        let expected = try #require(SeedSummary(Self.otherScores))
        #expect(cell.count == 3 && cell.intervalMethod == .t)
        #expect(abs(try #require(cell.value) - expected.mean) < 1e-12)
        let deviation = try #require(expected.standardDeviation)
        #expect(abs(try #require(cell.spread) - deviation) < 1e-12)
        let low = try #require(cell.intervalLow)
        let high = try #require(cell.intervalHigh)
        #expect(low < expected.mean && expected.mean < high)
        // The scores differ by Welch's test across seeds; the items by the paired bootstrap.
        #expect(cell.comparison?.test == .welch)
        let accuracy = try #require(table.columns.firstIndex { $0.key == "score/acc" })
        let items = try #require(table.rows[1].cells[accuracy].comparison)
        #expect(items.test == .pairedBootstrap && items.isSignificant && items.adjustedP >= items.p)
        #expect(table.legend.contains(.seedsAggregated) && table.legend.contains(.significance(comparisons: 2)))

        let perSeed = try Self.table(directory, perSeed: true)
        #expect(perSeed.rows.count == 6 && perSeed.rows.allSatisfy { $0.perSeed.isEmpty && $0.variants.count == 1 })
        #expect(perSeed.rows.map { $0.cells[score].value } == (Self.llamaScores + Self.otherScores).map { $0 as Double? })
        // One seed and no spread: the scores cannot be tested, the items still can.
        #expect(perSeed.rows[1].cells[score].isUntestable && perSeed.rows[1].cells[score].comparison == nil)
        #expect(perSeed.rows[3].cells[accuracy].comparison?.test == .pairedBootstrap)
    }

    @Test func everyFormatShowsTheAggregatedRowsAndTheirMarks() async throws {
        let directory = try await Self.seededRun()
        let table = try Self.table(directory)
        let markdown = MarkdownRenderer().render(table)
        #expect(markdown.contains("| model=&lt;b&gt;x\\|y&lt;/b&gt;_1 (n=3) |"))
        Snapshot.assertMatches(markdown, named: "seeded.md", in: Self.snapshots)
        Snapshot.assertMatches(TextTableRenderer().render(table), named: "seeded.txt", in: Self.snapshots)
        let runID = try #require(table.runs.first)
        Snapshot.assertMatches(CSVRenderer().render(table).replacingOccurrences(of: runID, with: "RUN"), named: "seeded.csv", in: Self.snapshots)
        Snapshot.assertMatches(LaTeXRenderer().render(table), named: "seeded.tex", in: Self.snapshots)
        // The durations behind the compute differ from run to run (ReportCostTests checks them).
        var timeless = table
        timeless.costs = []
        Snapshot.assertMatches(try JSONReportRenderer().render(timeless).replacingOccurrences(of: runID, with: "RUN"), named: "seeded.json", in: Self.snapshots)
        let charts = ReportCharts(table: timeless, runs: [try RunResults.load(runDirectory: directory, series: true)], scatter: nil)
        Snapshot.assertMatches(HTMLRenderer().render(timeless, charts: charts), named: "seeded.html", in: Self.snapshots)
        Snapshot.assertMatches(MarkdownRenderer().render(try Self.table(directory, perSeed: true)), named: "seeded-per-seed.md", in: Self.snapshots)
    }

    /// The t distribution, the intervals over seeds, Welch's test and Holm's correction give
    /// what SciPy gives on the same numbers (the runners' environment has SciPy).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
    func theStatisticsAgreeWithSciPy() async throws {
        let python = try #require(ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"])
        let samples: [[Double]] = [[0.51, 0.54, 0.59], [0.62, 0.68, 0.78], [0.3, 0.31], [0.2, 0.5, 0.45, 0.61, 0.33]]
        let pValues = [0.01, 0.04, 0.03, 0.005, 0.2]
        let script = """
            import json, sys
            import numpy as np
            from scipy import stats
            samples = \(samples)
            p = np.array(\(pValues))
            order = np.argsort(p); m = len(p)
            holm = np.empty(m); running = 0.0
            for rank, index in enumerate(order):
                running = max(running, min(1.0, (m - rank) * p[index])); holm[index] = running
            out = {
              "cdf": [stats.t.cdf(t, df) for t, df in [(-2.5, 1), (0.3, 2.5), (1.96, 30), (4.0, 7.3), (-0.01, 100)]],
              "ppf": [stats.t.ppf(0.975, df) for df in [1, 2, 4, 9, 29]],
              "intervals": [list(stats.t.interval(0.95, len(s) - 1, loc=np.mean(s), scale=stats.sem(s))) for s in samples],
              "welch": [[float(r.statistic), float(r.pvalue)] for r in (stats.ttest_ind(samples[i], samples[j], equal_var=False) for i, j in [(1, 0), (2, 3), (3, 0)])],
              "holm": list(holm),
            }
            json.dump(out, sys.stdout)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        await process.waitForExit()
        #expect(process.terminationStatus == 0)
        let scipy = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-9 * max(1, abs(b)) }

        let cdf = try #require(scipy["cdf"] as? [Double])
        for ((t, degrees), expected) in zip([(-2.5, 1.0), (0.3, 2.5), (1.96, 30.0), (4.0, 7.3), (-0.01, 100.0)], cdf) {
            #expect(close(StudentT.cdf(t, degrees: degrees), expected), "cdf(\(t), \(degrees))")
        }
        for (degrees, expected) in zip([1.0, 2, 4, 9, 29], try #require(scipy["ppf"] as? [Double])) {
            #expect(close(StudentT.quantile(0.975, degrees: degrees), expected), "ppf(0.975, \(degrees))")
        }
        for (sample, expected) in zip(samples, try #require(scipy["intervals"] as? [[Double]])) {
            let interval = try #require(SeedSummary(sample)?.interval)
            #expect(close(interval.low, expected[0]) && close(interval.high, expected[1]), "interval of \(sample)")
        }
        for ((first, second), expected) in zip([(1, 0), (2, 3), (3, 0)], try #require(scipy["welch"] as? [[Double]])) {
            let firstSummary = try #require(SeedSummary(samples[first]))
            let secondSummary = try #require(SeedSummary(samples[second]))
            let welch = try #require(Significance.welch(firstSummary, secondSummary))
            #expect(close(welch.t, expected[0]) && close(welch.p, expected[1]), "Welch \(first) vs \(second)")
        }
        for (adjusted, expected) in zip(Significance.holm(pValues), try #require(scipy["holm"] as? [Double])) {
            #expect(close(adjusted, expected))
        }
    }

    @Test func thePairedBootstrapTellsAShiftFromNoise() {
        let reference = (0..<60).map { Double($0 % 2) }
        #expect(Significance.pairedBootstrapP(reference, reference) == 1)
        let better = reference.enumerated().map { $0.offset % 6 == 0 ? 1 : $0.element }
        #expect((Significance.pairedBootstrapP(better, reference) ?? 1) < 0.01)
        // Two items in sixty flipped either way: no evidence.
        var noisy = reference
        noisy[0] = 1
        noisy[1] = 0
        #expect((Significance.pairedBootstrapP(noisy, reference) ?? 0) > 0.5)
        #expect(Significance.pairedBootstrapP([1, 2], [1]) == nil)
    }

    /// The LaTeX table compiles in a document with booktabs (CI installs pdflatex).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PDFLATEX"] != nil))
    func theLaTeXTableCompiles() async throws {
        let pdflatex = try #require(ProcessInfo.processInfo.environment["ABLATE_TEST_PDFLATEX"])
        let directory = try await Self.seededRun()
        var table = try Self.table(directory)
        table.title = "Seeds & specials: 100% of $x_1$ {#~^\\}"
        let folder = Scratch.path("latex")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try LaTeXRenderer().render(table).write(toFile: folder + "/table.tex", atomically: true, encoding: .utf8)
        try "\\documentclass{article}\n\\usepackage[T1]{fontenc}\n\\usepackage{booktabs}\n\\begin{document}\n\\input{table}\n\\end{document}\n"
            .write(toFile: folder + "/paper.tex", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pdflatex)
        process.arguments = ["-interaction=nonstopmode", "-halt-on-error", "paper.tex"]
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await process.waitForExit()
        #expect(process.terminationStatus == 0, "\(log.suffix(2000))")
        #expect(FileManager.default.fileExists(atPath: folder + "/paper.pdf"))
    }
}
