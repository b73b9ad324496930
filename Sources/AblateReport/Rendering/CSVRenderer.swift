import Foundation

/// The results as CSV (RFC 4180): one row per variant, each metric with its standard error
/// and delta in columns of their own; missing values are empty, never 0.
public struct CSVRenderer: Sendable {
    public init() {}

    /// Bytes that make a field need quotes: comma, quote, CR, LF.
    private static let special: Set<UInt8> = [44, 34, 13, 10]

    public func render(_ table: ResultsTable) -> String {
        var header = ["run", "variant", "label", "reference"]
        for column in table.columns { header += [column.key, column.key + " stderr", column.key + " delta", column.key + " best"] }
        var output = header.map(field).joined(separator: ",") + "\r\n"
        output.reserveCapacity(table.rows.count * (64 + table.columns.count * 32))
        for row in table.rows {
            output += field(row.run) + "," + field(row.variant) + "," + field(row.label) + (row.isReference ? ",true" : ",false")
            for cell in row.cells {
                output += "," + (cell.value.map { String($0) } ?? "") + "," + (cell.stderr.map { String($0) } ?? "")
                output += "," + (cell.intervalLow.map { String($0) } ?? "") + "," + (cell.intervalHigh.map { String($0) } ?? "")
                output += "," + (cell.delta.map { String($0) } ?? "") + (cell.isBest ? ",true" : ",false")
            }
            output += "\r\n"
        }
        return output
    }

    private func field(_ text: String) -> String {
        guard text.utf8.contains(where: Self.special.contains) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
