import AblateCore
import AblateStore
import Foundation
import Testing

@testable import AblateReport

/// The HTML report: self-contained, escaped, and drawn by a real browser.
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

    static var page: String {
        let series = [ResultsSeries(group: "sft/loss", label: "sft " + hostile, points: [(1, 2.0), (2, 1.5), (3, 1.2)])]
        return HTMLRenderer().render(table, series: series, scatter: ScatterAxes(x: "diversity/ead", y: "judge/win_rate"))
    }

    @Test func everyStringIsEscapedAndNothingIsLoaded() {
        let page = Self.page
        #expect(!page.contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quoted&quot;"))
        for attribute in ["src=", "href=", "@import", "url("] { #expect(!page.contains(attribute), "\(attribute) would load something") }
        #expect(page.contains("<polyline"))
        #expect(page.contains("<rect"))
        #expect(page.contains("<circle"))
        #expect(page.contains("—"), "a missing value shows as missing")
    }

    /// Renders the page in headless Chromium (CI installs it and sets ABLATE_TEST_BROWSER).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_BROWSER"] != nil))
    func aRealBrowserDrawsTheChartsAndRunsNoScript() throws {
        let browser = try #require(ProcessInfo.processInfo.environment["ABLATE_TEST_BROWSER"])
        let directory = NSTemporaryDirectory() + "ablate-html-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/report.html"
        try Self.page.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(directory)/profile", "--dump-dom", "file://" + path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        // The browser parsed the page into a document with the table and every chart.
        #expect(dom.contains("<table id=\"results\">"))
        #expect(dom.components(separatedBy: "<svg").count - 1 == 4)
        #expect(dom.contains("<polyline") && dom.contains("<rect") && dom.contains("<circle"))
        // The hostile label stayed text: no script element, the text shown as written.
        #expect(!dom.contains("<script"))
        #expect(dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;"))
    }
}
