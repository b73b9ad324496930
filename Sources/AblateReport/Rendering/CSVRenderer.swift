/// The results as CSV (RFC 4180): one line per row, followed by the lines of its seeds where it
/// aggregates several (their `seed` column set); each metric with its spread, n, standard error,
/// interval, delta and test against the reference in columns of their own; missing values are
/// empty, never 0.
public struct CSVRenderer: Sendable {
    public init() {}

    private static let trueField = Array(",true".utf8)
    private static let falseField = Array(",false".utf8)
    /// The columns each metric spreads over, after its own value.
    static let metricFields = ["sd", "n", "stderr", "ci_low", "ci_high", "ci_method", "delta", "test", "p", "p_holm", "best"]

    public func render(_ table: ResultsTable) -> String {
        // Built as bytes: a hundred runs' table has millions of fields.
        var output: [UInt8] = []
        output.reserveCapacity(256 + table.rows.count * (64 + table.columns.count * 24))
        var header = ["run", "variant", "label", "seed", "reference"]
        for column in table.columns { header += [column.key] + Self.metricFields.map { column.key + " " + $0 } }
        for (index, name) in header.enumerated() {
            if index > 0 { output.append(44) }
            appendField(name, to: &output)
        }
        output += [13, 10]
        for row in table.rows {
            appendLine(row, seed: row.perSeed.isEmpty ? row.seeds.first ?? "" : "", to: &output)
            for seedRow in row.perSeed { appendLine(seedRow, seed: seedRow.seeds.first ?? "", to: &output) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private func appendLine(_ row: ResultsTable.Row, seed: String, to output: inout [UInt8]) {
        appendField(row.run, to: &output)
        output.append(44)
        appendField(row.variants.joined(separator: " "), to: &output)
        output.append(44)
        appendField(row.label, to: &output)
        output.append(44)
        appendField(seed, to: &output)
        output += row.isReference ? Self.trueField : Self.falseField
        for cell in row.cells {
            appendNumber(cell.value, to: &output)
            appendNumber(cell.spread, to: &output)
            output.append(44)
            if cell.count > 0 { output += String(cell.count).utf8 }
            appendNumber(cell.stderr, to: &output)
            appendNumber(cell.intervalLow, to: &output)
            appendNumber(cell.intervalHigh, to: &output)
            output.append(44)
            if cell.intervalLow != nil { output += cell.intervalMethod.rawValue.utf8 }
            appendNumber(cell.delta, to: &output)
            output.append(44)
            if let comparison = cell.comparison {
                output += comparison.test.rawValue.utf8
            } else if cell.isUntestable {
                output += "none".utf8
            }
            appendNumber(cell.comparison?.p, to: &output)
            appendNumber(cell.comparison?.adjustedP, to: &output)
            output += cell.isBest ? Self.trueField : Self.falseField
        }
        output += [13, 10]
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
