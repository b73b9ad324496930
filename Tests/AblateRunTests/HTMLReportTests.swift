import AblateCore
import AblateTestSupport
import Foundation
import Testing

@testable import AblateReport
@testable import AblateStore

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// The HTML report: self-contained, escaped, and drawn by a real browser with every label
/// inside its chart and clear of every other.
@Suite struct HTMLReportTests {
    static let hostile = #"<script>alert("x")</script> & "quoted""#

    /// A table whose labels and keys carry markup, quotes and ampersands.
    static var table: ResultsTable {
        let columns = [
            ResultsTable.Column(key: "judge/win_rate", label: "win rate " + hostile, scale: 1, higherIsBetter: true),
            ResultsTable.Column(key: "diversity/ead", label: "EAD", scale: 1, higherIsBetter: true),
        ]
        var rows: [ResultsTable.Row] = []
        for index in 0..<3 {
            let step = Double(index) / 10
            let winRate = ResultsTable.Cell(value: 0.4 + step, stderr: nil, delta: index == 0 ? nil : step, isBest: index == 2)
            let diversity = ResultsTable.Cell(value: index == 1 ? nil : 0.7 - step, stderr: 0.01, delta: nil)
            let label: String = "variant \(index) " + hostile
            rows.append(ResultsTable.Row(label: label, run: "r", variants: ["v\(index)"], seeds: [], isReference: index == 0, cells: [winRate, diversity]))
        }
        return ResultsTable(
            title: "study " + hostile, columns: columns, rows: rows, missing: ["variant 1 " + hostile + ": diversity failed"],
            configDifferences: [], runs: ["r"])
    }

    /// A run with one training task per variant and one the variants share.
    static func results(variants: Int, stepsPerSeries: Int = 3, series: (Int, Int) -> Double = { task, step in 2.0 / Double(step + task) }) -> RunResults {
        let date = Date(timeIntervalSince1970: 1_800_000_000)
        let run = RunRow(id: "r", study: "s", specFile: "s.yaml", state: .completed, createdAt: date, pid: 1, heartbeatAt: date, executor: .local)
        var stageTasks: [String: [String: String]] = [:]
        var tasks: [String: (stage: String, state: TaskRecord.State)] = ["sft": ("sft", .completed)]
        var points: [String: [String: [(step: Int, value: Double)]]] = ["sft": ["loss": (1...stepsPerSeries).map { ($0, series(0, $0)) }]]
        for index in 0..<variants {
            stageTasks["v\(index)"] = ["sft": "sft", "dpo": "dpo\(index)"]
            tasks["dpo\(index)"] = ("dpo", .completed)
            points["dpo\(index)"] = [
                "loss": (1...stepsPerSeries).map { ($0, series(index + 1, $0)) }, "rewards/margins": (1...stepsPerSeries).map { ($0, Double($0 - index)) },
                "epoch": [(1, 0.5)], "grad_norm": [(1, 1.0)],
            ]
        }
        let variantRows = (0..<variants).map { VariantRow(runId: "r", name: "v\($0)", position: $0, axisValues: "{}") }
        return RunResults(
            run: run, variants: variantRows, stageTasks: stageTasks, tasks: tasks, keys: [], entries: [], items: [:], params: [:], series: points)
    }

    static var page: String {
        let table = table
        let charts = ReportCharts(table: table, runs: [results(variants: 3)], scatter: ScatterAxes(x: "diversity/ead", y: "judge/win_rate"))
        return HTMLRenderer().render(table, charts: charts)
    }

    @Test func everyStringIsEscapedAndNothingIsLoaded() {
        let page = Self.page
        #expect(!page.contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        for attribute in ["src=", "href=", "@import", "url("] { #expect(!page.contains(attribute), "\(attribute) would load something") }
        #expect(page.contains("<polyline"))
        #expect(page.contains("<rect"))
        #expect(page.contains("<circle"))
        #expect(page.contains("class=\"missing\""), "a missing value shows as missing")
    }

    @Test func eachMetricIsOneChartWithEveryVariantAndTheNoiseIsLeftOut() {
        let charts = ReportCharts(table: Self.table, runs: [Self.results(variants: 3)], scatter: nil)
        let curves = charts.charts.filter { $0.kind == .curve }
        // Losses first, then rewards; the gradient norm behind "more charts"; the epoch left out.
        #expect(curves.map(\.title) == ["dpo/loss", "sft/loss", "dpo/rewards/margins", "dpo/grad_norm"])
        #expect(curves.map(\.isFeatured) == [true, true, true, false])
        let dpoLoss = curves[0].svg
        #expect(dpoLoss.components(separatedBy: "<polyline").count - 1 == 3, "one line per variant in one chart")
        // Each variant's colour is its row's, in every chart; the shared SFT task is grey and dashed.
        for (row, color) in ReportCharts.palette.prefix(3).enumerated() {
            #expect(dpoLoss.contains("stroke=\"\(color)\""), "row \(row + 1)")
            #expect(charts.charts.first { $0.kind == .bars }?.svg.contains("fill=\"\(color)\"") == true)
        }
        #expect(curves[1].svg.contains("stroke=\"\(ReportCharts.sharedColor)\" stroke-width=\"1.5\" stroke-dasharray"))
        #expect(charts.key.map(\.text).last == ReportCharts.sharedText)
        // A value on hover at every point.
        #expect(dpoLoss.components(separatedBy: "<circle").count - 1 == 9)
        #expect(dpoLoss.contains("— step 2: "))
    }

    @Test func barsCarryTheirIntervalsAsErrorBars() {
        var table = Self.table
        table.rows[2].cells[0].intervalLow = 0.5
        table.rows[2].cells[0].intervalHigh = 0.7
        let bars = ReportCharts(table: table, runs: [Self.results(variants: 3)], scatter: nil).charts.filter { $0.kind == .bars }
        #expect(bars.count == 2)
        #expect(bars[0].svg.contains("class=\"error-bar\""))
        #expect(bars[0].svg.contains(": 0.6 [0.5, 0.7]"))
        // The standard error stands in where a cell has no interval.
        #expect(bars[1].svg.components(separatedBy: "class=\"error-bar\"").count - 1 == 2)
    }

    @Test func ticksAreRoundNumbersWithATrueMinus() {
        let scale = ChartScale(covering: [-0.23, 0.61])
        #expect(scale.ticks.map(scale.label) == ["−0.4", "−0.2", "0.0", "0.2", "0.4", "0.6", "0.8"])
        let large = ChartScale(covering: [0, 12_345])
        #expect(large.ticks.map(large.label) == ["0", "5000", "10000", "15000"])
        let flat = ChartScale(covering: [0, 0])
        #expect(flat.low == 0 && flat.high > 0, "a column of zeros is drawn from zero up")
    }

    @Test func figuresAreStandaloneSVGFilesWithTheirOwnKey() throws {
        let charts = ReportCharts(table: Self.table, runs: [Self.results(variants: 3)], scatter: ScatterAxes(x: "diversity/ead", y: "judge/win_rate"))
        let names = charts.charts.map(\.fileName)
        #expect(Set(names).count == names.count)
        #expect(names.contains("scatter-judge_win_rate-vs-diversity_ead.svg"))
        for chart in charts.charts {
            #expect(chart.figure.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(chart.figure.contains("<rect x=\"8\""), "\(chart.fileName) has its key")
            #expect(chart.title == "sft/loss" || chart.figure.contains("variant 0 &lt;script&gt;"), "\(chart.fileName) names the rows")
            let data = try #require(chart.figure.data(using: .utf8))
            #expect(XMLParser(data: data).parse(), "\(chart.fileName) is well-formed XML")
        }
    }

    /// Renders the page in headless Chromium (CI installs it and sets ABLATE_TEST_BROWSER).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_BROWSER"] != nil))
    func aRealBrowserDrawsTheChartsAndRunsNoScript() async throws {
        let dom = try await Self.browserDOM(of: Self.page)
        // The browser parsed the page into a document with the table and every chart.
        #expect(dom.contains("<table id=\"results\">"))
        #expect(dom.components(separatedBy: "<svg").count - 1 == 7)
        #expect(dom.contains("<polyline") && dom.contains("<rect") && dom.contains("<circle"))
        // The hostile label stayed text: no script element, the text shown as written.
        #expect(!dom.contains("<script"))
        #expect(dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;"))
    }

    /// A crowded page: twelve rows with long labels, a scatter whose points nearly coincide,
    /// negative and large values, long series. A browser measures every text of every chart:
    /// none may leave its chart or overlap another.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_BROWSER"] != nil))
    func noTextOfAnyChartIsClippedOrOverlapsAnother() async throws {
        let columns = [
            ResultsTable.Column(key: "judge/win_rate", label: "Win rate against the reference answers (in distribution)", scale: 1, higherIsBetter: true),
            ResultsTable.Column(key: "diversity/sentence_bert", label: "Sentence-BERT diversity", scale: 1, higherIsBetter: true),
            ResultsTable.Column(key: "ppo/kl", label: "KL " + Self.hostile, scale: 1, higherIsBetter: false),
            ResultsTable.Column(key: "cost/gpu_hours", label: "GPU-hours", scale: 1, higherIsBetter: false),
        ]
        let rows = (0..<12).map { index -> ResultsTable.Row in
            let spread = Double(index % 3) * 0.004
            var winRate = ResultsTable.Cell(value: 0.5 + spread, stderr: 0.02)
            winRate.intervalLow = 0.45
            winRate.intervalHigh = 0.58
            let cells = [
                winRate, ResultsTable.Cell(value: 0.31 + Double(index / 3) * 0.002), ResultsTable.Cell(value: Double(index) * -1.7 + 3),
                ResultsTable.Cell(value: Double(index) * 12_345.6),
            ]
            return ResultsTable.Row(
                label: "policy=ppo, prompts=out-of-distribution, learning_rate=1e-5, seed=\(index)", run: "r", variants: ["v\(index)"], seeds: [],
                isReference: index == 0, cells: cells)
        }
        let table = ResultsTable(title: "crowded", columns: columns, rows: rows, missing: [], configDifferences: [], runs: ["r"])
        let runs = [Self.results(variants: 12, stepsPerSeries: 400) { task, step in sin(Double(step + task) / 30) * 1e4 - 5_000 }]
        let charts = ReportCharts(table: table, runs: runs, scatter: ScatterAxes(x: "diversity/sentence_bert", y: "judge/win_rate"))
        let page = HTMLRenderer().render(table, charts: charts)
        // The measurement runs in a copy of the page; the page itself has no script.
        let measured = page.replacingOccurrences(of: "</body>", with: "<script>\(Self.measurementScript)</script></body>")
        let dom = try await Self.browserDOM(of: measured)
        let start = try #require(dom.range(of: "<pre id=\"measurements\">"))
        let end = try #require(dom.range(of: "</pre>", range: start.upperBound..<dom.endIndex))
        let json = String(dom[start.upperBound..<end.lowerBound]).replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let problems = result["problems"] as? [String] ?? ["no measurements"]
        #expect(problems.isEmpty, "\(problems.prefix(20).joined(separator: "\n"))")
        #expect((result["charts"] as? Int ?? 0) == charts.charts.count)
        #expect((result["texts"] as? Int ?? 0) > 120, "the charts' titles, ticks and labels were measured")
        // The scatter labels every point: its label where it fits, else its number.
        let scatter = try #require(charts.charts.first { $0.kind == .scatter })
        #expect(scatter.svg.components(separatedBy: "<text").count - 1 >= 12 + 6)
    }

    /// Opens every `<details>`, then measures each `text` of each `svg` against its chart and
    /// against the texts before it, and writes what it found into the page as JSON.
    static let measurementScript = """
        (function () {
          document.querySelectorAll('details').forEach(function (d) { d.open = true; });
          var problems = [], texts = 0, charts = 0;
          document.querySelectorAll('svg').forEach(function (svg) {
            charts++;
            var frame = svg.getBoundingClientRect(), seen = [];
            var title = svg.querySelector('title').textContent;
            svg.querySelectorAll('text').forEach(function (text) {
              texts++;
              var box = text.getBoundingClientRect();
              var name = title + ': "' + text.firstChild.textContent + '"';
              if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.top < frame.top - 0.5 || box.bottom > frame.bottom + 0.5) {
                problems.push('clipped ' + name + ' ' + JSON.stringify([box.left - frame.left, box.top - frame.top, box.right - frame.left, box.bottom - frame.top, frame.width, frame.height]));
              }
              seen.forEach(function (other) {
                if (box.left < other.box.right - 0.5 && other.box.left < box.right - 0.5 && box.top < other.box.bottom - 0.5 && other.box.top < box.bottom - 0.5) {
                  problems.push('overlap ' + name + ' with "' + other.name + '"');
                }
              });
              seen.push({ box: box, name: text.firstChild.textContent });
            });
          });
          var pre = document.createElement('pre');
          pre.id = 'measurements';
          pre.textContent = JSON.stringify({ charts: charts, texts: texts, problems: problems });
          document.body.appendChild(pre);
        })();
        """

    /// The document headless Chromium builds from `html`.
    static func browserDOM(of html: String) async throws -> String {
        let browser = try #require(ProcessInfo.processInfo.environment["ABLATE_TEST_BROWSER"])
        let directory = Scratch.path("html")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/report.html"
        try html.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory)/profile", "--window-size=1400,1000", "--dump-dom",
            "file://" + path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await process.waitForExit()
        #expect(process.terminationStatus == 0)
        return dom
    }
}
