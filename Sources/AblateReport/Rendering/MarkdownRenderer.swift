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
            let label = Self.escape(row.label) + (row.isReference ? " (reference)" : "")
            let cells = zip(row.cells, columns).map { CellFormat.text($0, column: $1) { "**\($0)**" } }
            return "| " + ([label] + cells).joined(separator: " | ") + " |"
        }
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

    /// Pipes would end a cell; names come from specs and runs.
    private func escape(_ text: String) -> String { Self.escape(text) }

    private static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "|") || $0 == UInt8(ascii: "\n") }) else { return text }
        return text.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
    }
}
