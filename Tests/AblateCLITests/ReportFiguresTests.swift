import AblateTestSupport
import Foundation
import Testing

/// `ablate report --figures DIR` writes each chart of the page as an SVG file of its own, and
/// `--gpu-hour-price` takes only a price.
@Suite struct ReportFiguresTests {
    @Test func eachChartOfThePageBecomesAFigureFile() async throws {
        let directory = Scratch.path("figures")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        ablate: 1
        name: figures
        sweep:
          grid:
            i: [1, 2, 3]
        stages:
          score:
            kind: command
            run: "printf '{\\"score\\": %s, \\"spread\\": %s}' ${sweep.i} -${sweep.i} > ${outputs.output}/metrics.json"
        report:
          scatter: {x: score/spread, y: score/score}
        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
        let runs = directory + "/Runs"
        let run = try await CLIRunner.run(["run", "study.yaml", "--runs-dir", runs], in: directory)
        #expect(run.status == 0, "\(run.stderr)")

        let report = try await CLIRunner.run(
            ["report", "figures", "--format", "html", "--output", "page.html", "--figures", "figures", "--gpu-hour-price", "3", "--runs-dir", runs],
            in: directory)
        #expect(report.status == 0, "\(report.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/figures").sorted()
        #expect(files == ["bars-score_score.svg", "bars-score_spread.svg", "scatter-score_score-vs-score_spread.svg"])
        for file in files {
            let svg = try String(contentsOfFile: directory + "/figures/" + file, encoding: .utf8)
            #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(svg.contains("i=3"), "\(file) carries its key")
        }
        let page = try String(contentsOfFile: directory + "/page.html", encoding: .utf8)
        #expect(page.contains("<h2>Compute</h2>") && page.contains("at 3 per GPU-hour"))

        let unknown = try await CLIRunner.run(["report", "figures", "--table", "safety", "--runs-dir", runs], in: directory)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("has no report table 'safety'; its 'report:' section names none under 'tables:'"), "\(unknown.stderr)")

        // Figures without a page: any format can write them.
        let table = try await CLIRunner.run(["report", "figures", "--figures", "more", "--runs-dir", runs], in: directory)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/more").count == 3)
    }

    @Test(arguments: ["nan", "-1", "inf"])
    func aPriceMustBeANumberFromZeroUp(_ price: String) async throws {
        let result = try await CLIRunner.run(["report", "--gpu-hour-price=\(price)"])
        #expect(result.status == 2)
        #expect(result.stderr.hasPrefix("error: --gpu-hour-price must be a number from 0 up, not "))
    }
}
