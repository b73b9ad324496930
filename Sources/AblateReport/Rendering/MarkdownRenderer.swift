/// The results as a GitHub-flavoured Markdown table: best values in bold, the reference row
/// marked, deltas in brackets, then what is missing and which configuration differs.
public struct MarkdownRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) -> String {
        var lines = ["## \(escape(table.title))", ""]
        lines.append("| Variant | " + table.columns.map { escape($0.label) }.joined(separator: " | ") + " |")
        lines.append("|---|" + table.columns.map { _ in "---:" }.joined(separator: "|") + "|")
        let columns = table.columns
        lines += table.rows.parallelMap { row in
            let label = Self.escape(row.label) + CellFormat.seedsSuffix(row) + (row.isReference ? " (reference)" : "")
            let cells = zip(row.cells, columns).map { CellFormat.text($0, column: $1, seeds: row.perSeed.count) { "**\($0)**" } }
            return "| " + ([label] + cells).joined(separator: " | ") + " |"
        }
        if !table.legend.isEmpty { lines += [""] + table.legend.map(\.text) }
        if !table.missing.isEmpty {
            lines += ["", "Missing:"] + table.missing.map { "- " + escape($0) }
        }
        if !table.configDifferences.isEmpty {
            lines += ["", "Configuration that differs between runs:", ""]
            lines.append("| Key | " + table.runs.map(escape).joined(separator: " | ") + " |")
            lines.append("|---|" + table.runs.map { _ in "---" }.joined(separator: "|") + "|")
            for difference in table.configDifferences {
                lines.append("| \(escape(difference.key)) | " + table.runs.map { escape(difference.values[$0] ?? "—") }.joined(separator: " | ") + " |")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Names come from specs and runs: a pipe would end a cell, `<` and `>` would open HTML, and a
    /// newline would end the row.
    private func escape(_ text: String) -> String { Self.escape(text) }

    private static let specials: Set<UInt8> = [UInt8(ascii: "|"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\n")]

    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: specials.contains) else { return text }
        return text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\n", with: " ")
    }
}
