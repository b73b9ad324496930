/// The results as an aligned table for the terminal; the best value of each column has a `*`.
public struct TextTableRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) -> String {
        let header = ["variant"] + table.columns.map(\.label)
        let columns = table.columns
        // Widths in Unicode scalars (the table's own text has no combining marks), measured
        // once per cell: a hundred runs' table has millions.
        let body = table.rows.parallelMap { row -> (cells: [String], widths: [Int]) in
            let cells =
                [row.label + CellFormat.seedsSuffix(row) + (row.isReference ? " (ref)" : "")]
                + zip(row.cells, columns).map { CellFormat.text($0, column: $1, seeds: row.perSeed.count) { $0 + "*" } }
            return (cells, cells.map { $0.unicodeScalars.count })
        }
        var widths = header.map { $0.unicodeScalars.count }
        let bodyWidths = body.map(\.widths)
        for cellWidths in bodyWidths {
            for (index, width) in cellWidths.enumerated() where width > widths[index] { widths[index] = width }
        }
        let finalWidths = widths
        // Each line built as bytes: a hundred runs' table has a hundred thousand of them.
        @Sendable func line(_ cells: [String], _ cellWidths: [Int]) -> String {
            let widths = finalWidths
            var bytes: [UInt8] = []
            bytes.reserveCapacity(widths.reduce(0, +) + 2 * widths.count + 16)
            for (index, cell) in cells.enumerated() {
                let padding = widths[index] - cellWidths[index]
                if index > 0 {
                    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 + padding))
                    bytes += cell.utf8
                } else {
                    bytes += cell.utf8
                    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
                }
            }
            return String(decoding: bytes, as: UTF8.self)
        }
        var lines = [table.title, line(header, header.map { $0.unicodeScalars.count })] + body.parallelMap { line($0.cells, $0.widths) }
        if !table.legend.isEmpty { lines += [""] + table.legend.map(\.text) }
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
