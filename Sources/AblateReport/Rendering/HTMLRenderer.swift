import Foundation

/// The results as one self-contained HTML page: the table, the compute each run took, and its
/// charts — training curves, a bar chart per column, the generalisation-versus-diversity
/// scatter — with one key of the rows' colours; CSS and SVG inline, no script, nothing loaded
/// from anywhere. Every string from a spec, a run or a model output is escaped.
public struct HTMLRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable, charts: ReportCharts? = nil) -> String {
        var body = "<h1>\(escape(table.title))</h1>\n"
        body += tableHTML(table)
        if !table.missing.isEmpty {
            body += "<h2>Missing</h2>\n<ul>" + table.missing.map { "<li>\(escape($0))</li>" }.joined() + "</ul>\n"
        }
        if !table.configDifferences.isEmpty {
            body +=
                "<h2>Configuration that differs between runs</h2>\n<table><tr><th>key</th>"
                + table.runs.map { "<th>\(escape($0))</th>" }.joined() + "</tr>"
            for difference in table.configDifferences {
                body += "<tr><td>\(escape(difference.key))</td>" + table.runs.map { "<td>\(escape(difference.values[$0] ?? "—"))</td>" }.joined() + "</tr>"
            }
            body += "</table>\n"
        }
        body += costHTML(table.costs)
        if let charts, !charts.charts.isEmpty { body += chartsHTML(charts) }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(table.title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
            th:first-child,td:first-child{text-align:left}.best{font-weight:bold}.ref{background:#f3f3f3}.missing{color:#999}
            .delta{color:#666;font-size:.85em}.charts{display:flex;flex-wrap:wrap;gap:.5em 1em}figure{margin:0}svg.chart{display:block}
            .key{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.2em 1.2em}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em}
            .shared{opacity:.5}summary{cursor:pointer;margin:1em 0}
            </style></head><body>
            \(body)</body></html>

            """
    }

    private func costHTML(_ costs: [ResultsTable.RunCost]) -> String {
        guard !costs.isEmpty else { return "" }
        var html =
            "<h2>Compute</h2>\n<p class=\"legend\">Each attempt's duration × the GPUs it held, failed attempts included; a task taken from the cache made no attempt in the run.</p>\n"
        for cost in costs {
            let priced = cost.gpuHourPrice != nil
            html += "<p>\(escape(cost.sentence))</p>\n"
            let header =
                "<tr><th>%@</th><th>attempts</th><th>unsuccessful</th><th>task-hours</th><th>GPU-hours</th>" + (priced ? "<th>price</th>" : "") + "</tr>"
            func rows(_ lines: [ResultsTable.CostLine]) -> String {
                lines.map { line in
                    "<tr><td>\(escape(line.name))</td><td>\(line.attempts)</td><td>\(line.unsuccessfulAttempts)</td>"
                        + "<td>\(CellFormat.number(line.hours, scaled: false))</td><td>\(CellFormat.number(line.gpuHours, scaled: false))</td>"
                        + (line.price(cost.gpuHourPrice).map { "<td>\(CellFormat.number($0, scaled: true))</td>" } ?? "") + "</tr>"
                }.joined()
            }
            html += "<table class=\"cost\">" + header.replacingOccurrences(of: "%@", with: "stage") + rows(cost.stages) + "</table>\n"
            html +=
                "<details><summary>By task (\(cost.tasks.count))</summary><table class=\"cost\">" + header.replacingOccurrences(of: "%@", with: "task")
                + rows(cost.tasks) + "</table></details>\n"
        }
        return html
    }

    private func chartsHTML(_ charts: ReportCharts) -> String {
        var html = "<h2>Charts</h2>\n<ul class=\"key\">"
        for entry in charts.key {
            html += "<li><span class=\"swatch\(entry.isShared ? " shared" : "")\" style=\"background:\(entry.color)\"></span>\(escape(entry.text))</li>"
        }
        html += "</ul>\n"
        let sections: [(ReportCharts.Chart.Kind, String)] = [
            (.scatter, "Generalisation vs diversity"), (.curve, "Training curves"), (.bars, "Per metric"),
        ]
        for (kind, heading) in sections {
            let shown = charts.charts.filter { $0.kind == kind && $0.isFeatured }
            guard !shown.isEmpty else { continue }
            html += "<h3>\(heading)</h3>\n<div class=\"charts\">" + shown.map { "<figure>\($0.svg)</figure>" }.joined(separator: "\n") + "</div>\n"
        }
        let rest = charts.charts.filter { !$0.isFeatured }
        if !rest.isEmpty {
            html +=
                "<details><summary>More charts (\(rest.count))</summary><div class=\"charts\">"
                + rest.map { "<figure>\($0.svg)</figure>" }.joined(separator: "\n") + "</div></details>\n"
        }
        return html
    }

    private func tableHTML(_ table: ResultsTable) -> String {
        var html = "<table id=\"results\"><tr><th>Variant</th>" + table.columns.map { "<th>\(escape($0.label))</th>" }.joined() + "</tr>\n"
        for row in table.rows {
            html +=
                "<tr\(row.isReference ? " class=\"ref\"" : "")><td>\(escape(row.label))\(CellFormat.seedsSuffix(row))\(row.isReference ? " (reference)" : "")</td>"
            for (cell, column) in zip(row.cells, table.columns) {
                guard cell.value != nil else {
                    html += "<td class=\"missing\">\(CellFormat.missing)</td>"
                    continue
                }
                let text = CellFormat.text(cell, column: column, seeds: row.perSeed.count) {
                    $0
                } delta: {
                    " <span class=\"delta\">(\($0))</span>"
                }
                html += "<td\(cell.isBest ? " class=\"best\"" : "")>\(text)</td>"
            }
            html += "</tr>\n"
        }
        html += "</table>\n"
        return html + table.legend.map { "<p class=\"legend\">\(escape($0.text))</p>\n" }.joined()
    }
}

/// Which columns the scatter plots: x (diversity) against y (generalisation).
public struct ScatterAxes: Sendable, Hashable {
    public var x: String
    public var y: String

    public init(x: String, y: String) {
        self.x = x
        self.y = y
    }
}

/// `&`, `<`, `>`, `"` and `'` as entities: text from specs and models stays text.
func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.count)
    for character in text {
        switch character {
        case "&": result += "&amp;"
        case "<": result += "&lt;"
        case ">": result += "&gt;"
        case "\"": result += "&quot;"
        case "'": result += "&#39;"
        default: result.append(character)
        }
    }
    return result
}
