/// The results as CSV (RFC 4180): one row per variant, each metric with its standard error,
/// bootstrap interval and delta in columns of their own; missing values are empty, never 0.
public struct CSVRenderer: Sendable {
    public init() {}

    private static let trueField = Array(",true".utf8)
    private static let falseField = Array(",false".utf8)
    /// The columns each metric spreads over, after its own value.
    static let metricFields = ["stderr", "ci_low", "ci_high", "delta", "best"]

    public func render(_ table: ResultsTable) -> String {
        // Built as bytes: a hundred runs' table has millions of fields.
        var output: [UInt8] = []
        output.reserveCapacity(256 + table.rows.count * (64 + table.columns.count * 24))
        var header = ["run", "variant", "label", "reference"]
        for column in table.columns { header += [column.key] + Self.metricFields.map { column.key + " " + $0 } }
        for (index, name) in header.enumerated() {
            if index > 0 { output.append(44) }
            appendField(name, to: &output)
        }
        output += [13, 10]
        for row in table.rows {
            appendField(row.run, to: &output)
            output.append(44)
            appendField(row.variant, to: &output)
            output.append(44)
            appendField(row.label, to: &output)
            output += row.isReference ? Self.trueField : Self.falseField
            for cell in row.cells {
                appendNumber(cell.value, to: &output)
                appendNumber(cell.stderr, to: &output)
                appendNumber(cell.intervalLow, to: &output)
                appendNumber(cell.intervalHigh, to: &output)
                appendNumber(cell.delta, to: &output)
                output += cell.isBest ? Self.trueField : Self.falseField
            }
            output += [13, 10]
        }
        return String(decoding: output, as: UTF8.self)
    }

    private func appendNumber(_ number: Double?, to output: inout [UInt8]) {
        output.append(44)
        if let number { output += number.description.utf8 }
    }

    /// Quotes a field that holds a comma, a quote, a CR or an LF.
    private func appendField(_ text: String, to output: inout [UInt8]) {
        guard text.utf8.contains(where: { $0 == 44 || $0 == 34 || $0 == 13 || $0 == 10 }) else {
            output += text.utf8
            return
        }
        output.append(34)
        for byte in text.utf8 {
            if byte == 34 { output.append(34) }
            output.append(byte)
        }
        output.append(34)
    }
}
