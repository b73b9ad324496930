import AblateCore
import AblateReport
import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate report RUN...`: the comparison table of one or more runs.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Compare runs as a results table: variants by metrics, a reference row with deltas, the best values marked.",
        discussion: """
            Columns come from the spec's 'report:' section or from --metric (names or patterns such as \
            'eval/*/acc_norm'); missing values stay missing. Variants that differ only in their seed \
            form one row (mean ± standard deviation, n, 95% t-interval) unless --per-seed is given; each \
            cell is tested against the reference row (paired bootstrap over items, else Welch's t-test \
            across seeds, Holm-corrected) and marked. With several runs, the configuration keys that \
            differ between them are listed. GPU-hours (each attempt's duration × its GPUs, failed \
            attempts included) are the columns 'cost/*' and a section of the HTML page.
            """
    )

    /// The formats `report` writes.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, md, csv, json, html, latex
    }

    @Argument(help: ArgumentHelp("Runs to compare (default: the latest).", valueName: "run"))
    var runs: [String] = []

    @Option(name: .shortAndLong, help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .table

    @Option(name: .shortAndLong, help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("metric"), help: "A metric column (stage/metric; * matches any text). Repeat for more.")
    var metrics: [String] = []

    @Option(help: ArgumentHelp("One of the further tables of the spec's 'report.tables' instead of the main one.", valueName: "name"))
    var table: String?

    @Option(help: "The reference row, as axis=value pairs separated by commas (e.g. sft_data=none,dpo_data=none).")
    var reference: String?

    @Flag(help: "One row per variant instead of one per setting with its seeds aggregated.")
    var perSeed = false

    @Option(help: "What a GPU-hour costs: adds the columns 'cost/price' and 'cost/<stage>/price' and prices each run.")
    var gpuHourPrice: Double?

    @Option(help: ArgumentHelp("Also write each chart of the HTML page to this directory as a standalone SVG file.", valueName: "directory"))
    var figures: String?

    @OptionGroup var location: RunsLocation

    func validate() throws {
        if let gpuHourPrice, !(gpuHourPrice.isFinite && gpuHourPrice >= 0) {
            throw ValidationError("--gpu-hour-price must be a number from 0 up, not \(gpuHourPrice)")
        }
    }

    func run() throws {
        let directories = try (runs.isEmpty ? [nil] : runs.map { Optional($0) }).map { try RunLocator.find($0, runsDirectory: location.runsDirectory) }
        let drawsCharts = format == .html || figures != nil
        let results = try RunResults.load(runDirectories: directories, series: drawsCharts)
        var report = Self.reportSpec(of: directories[0])
        var title: String?
        if let table {
            guard let selected = report.selecting(table: table) else {
                let names = report.tables.map(\.name)
                throw UserError(
                    "the spec of \(directories[0]) has no report table '\(table)'"
                        + (names.isEmpty ? "; its 'report:' section names none under 'tables:'" : "; it has \(names.map { "'\($0)'" }.joined(separator: ", "))")
                )
            }
            report = selected
            title = report.tables.first { $0.name == table }?.title ?? table
        }
        if !metrics.isEmpty { report.columns = metrics.map { ReportSpec.Column(metric: $0) } }
        if let reference {
            report.reference = [:]
            for pair in reference.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2 else { throw ValidationError("--reference takes axis=value pairs, not '\(pair)'") }
                report.reference[parts[0]] = parts[1]
            }
        }
        var table = try ResultsTableBuilder(report: report, perSeed: perSeed, gpuHourPrice: gpuHourPrice).build(results)
        if let title { table.title += ": " + title }
        let charts = drawsCharts ? ReportCharts(table: table, runs: results, scatter: report.scatter.map { ScatterAxes(x: $0.x, y: $0.y) }) : nil
        if let figures, let charts { try Self.writeFigures(charts, to: figures) }
        let text: String
        switch format {
        case .table: text = TextTableRenderer().render(table)
        case .md: text = MarkdownRenderer().render(table)
        case .csv: text = CSVRenderer().render(table)
        case .json: text = try JSONReportRenderer().render(table)
        case .latex: text = LaTeXRenderer().render(table)
        case .html: text = HTMLRenderer().render(table, charts: charts)
        }
        if let output {
            try AtomicFile.write(Data(text.utf8), to: output, durability: .deferred)
        } else {
            print(text, terminator: "")
        }
    }

    /// Each chart as `DIR/<kind>-<metric>.svg`, with its own key.
    static func writeFigures(_ charts: ReportCharts, to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw UserError("cannot create the figures directory \(directory): \(error.localizedDescription)")
        }
        for chart in charts.charts {
            try AtomicFile.write(Data(chart.figure.utf8), to: directory + "/" + chart.fileName, durability: .deferred)
        }
    }

    /// The `report:` section of the spec a run was launched with (its copy in the run).
    static func reportSpec(of runDirectory: String) -> ReportSpec {
        SpecLoader().load(path: RunLayout(runDirectory: runDirectory).specCopy).spec?.report ?? ReportSpec()
    }
}
