import Foundation

/// The results as CSV (RFC 4180): one row per variant, each metric with its standard error
/// and delta in columns of their own; missing values are empty, never 0.
public struct CSVRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) -> String {
        var header = ["run", "variant", "label", "reference"]
        for column in table.columns { header += [column.key, column.key + " stderr", column.key + " delta", column.key + " best"] }
        var lines = [header.map(field).joined(separator: ",")]
        for row in table.rows {
            var cells = [row.run, row.variant, row.label, row.isReference ? "true" : "false"]
            for cell in row.cells {
                cells += [
                    cell.value.map { String($0) } ?? "", cell.stderr.map { String($0) } ?? "", cell.delta.map { String($0) } ?? "",
                    cell.isBest ? "true" : "false",
                ]
            }
            lines.append(cells.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    private func field(_ text: String) -> String {
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
