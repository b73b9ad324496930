/// The results as an aligned table for the terminal; the best value of each column has a `*`.
public struct TextTableRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) -> String {
        let header = ["variant"] + table.columns.map(\.label)
        let body = table.rows.map { row in
            [row.label + (row.isReference ? " (ref)" : "")] + zip(row.cells, table.columns).map { CellFormat.text($0, column: $1) { $0 + "*" } }
        }
        let widths = header.indices.map { index in ([header] + body).map { $0[index].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return index == 0 ? cell + padding : padding + cell
            }.joined(separator: "  ")
        }
        var lines = [table.title, line(header)] + body.map(line)
        if !table.missing.isEmpty { lines += ["", "missing:"] + table.missing.map { "  " + $0 } }
        if !table.configDifferences.isEmpty {
            lines += ["", "differs between runs:"]
            for difference in table.configDifferences {
                lines.append("  \(difference.key): " + table.runs.map { "\($0)=\(difference.values[$0] ?? "—")" }.joined(separator: ", "))
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
