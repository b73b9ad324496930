import Foundation

/// The results as one self-contained HTML page: the table, a training curve per stage, a bar
/// chart per benchmark column, and a generalisation-versus-diversity scatter (one point per
/// variant) — CSS and SVG inline, nothing loaded from anywhere. Every string from a spec, a
/// run or a model output is escaped.
public struct HTMLRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable, series: [ResultsSeries] = [], scatter: ScatterAxes? = nil) -> String {
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
        let curves = Dictionary(grouping: series, by: \.group)
        if !curves.isEmpty {
            body += "<h2>Training curves</h2>\n"
            for group in curves.keys.sorted() { body += SVGCharts.lines(title: group, series: curves[group] ?? []) }
        }
        if !table.columns.isEmpty {
            body += "<h2>Per benchmark</h2>\n"
            for (index, column) in table.columns.enumerated() {
                body += SVGCharts.bars(title: column.label, bars: table.rows.map { ($0.label, $0.cells[index].value) })
            }
        }
        if let scatter, let x = table.columns.firstIndex(where: { $0.key == scatter.x }), let y = table.columns.firstIndex(where: { $0.key == scatter.y }) {
            body += "<h2>Generalisation vs diversity</h2>\n"
            let points = table.rows.compactMap { row -> (String, Double, Double)? in
                guard let xValue = row.cells[x].value, let yValue = row.cells[y].value else { return nil }
                return (row.label, xValue, yValue)
            }
            body += SVGCharts.scatter(xLabel: table.columns[x].label, yLabel: table.columns[y].label, points: points)
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(escape(table.title))</title>
            <style>
            body{font-family:system-ui,sans-serif;margin:2em;color:#222}
            table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:right}
            th:first-child,td:first-child{text-align:left}.best{font-weight:bold}.ref{background:#f3f3f3}.missing{color:#999}
            .delta{color:#666;font-size:.85em}svg{margin:.5em 1em .5em 0;font-size:11px}figure{display:inline-block;margin:0}
            </style></head><body>
            \(body)</body></html>

            """
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

/// A metric's points for one task, drawn as one line of a chart.
public struct ResultsSeries: Sendable, Hashable {
    /// The chart it belongs to (`stage/metric`).
    public var group: String
    public var label: String
    public var points: [(step: Int, value: Double)]

    public init(group: String, label: String, points: [(step: Int, value: Double)]) {
        self.group = group
        self.label = label
        self.points = points
    }

    public static func == (lhs: ResultsSeries, rhs: ResultsSeries) -> Bool {
        lhs.group == rhs.group && lhs.label == rhs.label && lhs.points.map(\.step) == rhs.points.map(\.step)
            && lhs.points.map(\.value) == rhs.points.map(\.value)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(group)
        hasher.combine(label)
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
