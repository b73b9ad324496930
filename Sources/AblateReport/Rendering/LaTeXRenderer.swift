/// The results as a LaTeX `table` for a paper (booktabs): the best value of each column in bold,
/// ± the spread, the delta against the reference row in small type, significance marks, the
/// legend under the table, a caption and a label. Every text from a spec or a run is escaped.
/// The document needs `\usepackage{booktabs}`; the table is `\input` where it goes.
public struct LaTeXRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) -> String {
        var lines = [
            "\\begin{table}[t]", "\\centering", "\\caption{\(Self.escape(table.title))}", "\\label{tab:\(Self.labelKey(table.title))}",
            "\\begin{tabular}{l" + String(repeating: "r", count: table.columns.count) + "}", "\\toprule",
            (["Variant"] + table.columns.map { Self.escape($0.label) }).joined(separator: " & ") + " \\\\", "\\midrule",
        ]
        for (index, row) in table.rows.enumerated() {
            let label = Self.escape(row.label) + CellFormat.seedsSuffix(row) + (row.isReference ? " (reference)" : "")
            let cells = zip(row.cells, table.columns).map { cell(CellFormat.parts($0, column: $1, seeds: row.perSeed.count), isBest: $0.isBest) }
            lines.append(([label] + cells).joined(separator: " & ") + " \\\\")
            // The reference row stands apart, as the base model does in a paper's table.
            if row.isReference && index == 0 && table.rows.count > 1 { lines.append("\\midrule") }
        }
        lines += ["\\bottomrule", "\\end{tabular}"]
        let legend = table.legend.compactMap(legendText)
        if !legend.isEmpty { lines.append("\\par\\smallskip{\\footnotesize " + legend.joined(separator: " ") + "}") }
        lines.append("\\end{table}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func cell(_ parts: CellFormat.Parts?, isBest: Bool) -> String {
        guard let parts else { return "--" }
        var text = isBest ? "\\textbf{\(parts.value)}" : parts.value
        if let spread = parts.spread { text += " $\\pm$ \(spread)" }
        if let count = parts.count { text += " {\\scriptsize n=\(count)}" }
        if let delta = parts.delta { text += " {\\scriptsize (\(delta.isNegative ? "$-$" : "$+$")\(delta.magnitude))}" }
        switch parts.mark {
        case .significant: text += "$^\\dagger$"
        case .untestable: text += "$^\\circ$"
        case nil: break
        }
        return text
    }

    /// The legend in LaTeX's own symbols; the intervals are left out of the table, so out of its legend.
    private func legendText(_ entry: ResultsTable.LegendEntry) -> String? {
        switch entry {
        case .seedsAggregated: return "Rows of several seeds: mean $\\pm$ standard deviation over the seeds."
        case .bootstrapIntervals: return nil
        case .significance(let comparisons):
            return
                "$^\\dagger$ differs from the reference row (Holm-corrected $p < \(ResultsTable.significanceLevel)$ over \(comparisons) comparisons; paired bootstrap over items, else Welch's $t$-test across seeds)."
        case .untestable: return "$^\\circ$ cannot be tested against the reference row."
        }
    }

    /// `tab:` keys keep to letters, digits and hyphens.
    static func labelKey(_ title: String) -> String {
        let key = String(title.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" }).split(separator: "-").joined(separator: "-")
        return key.isEmpty ? "results" : key
    }

    /// LaTeX's special characters, written as text.
    static func escape(_ text: String) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\\": result += "\\textbackslash{}"
            case "{", "}", "$", "&", "#", "_", "%": result += "\\" + String(character)
            case "^": result += "\\textasciicircum{}"
            case "~": result += "\\textasciitilde{}"
            case "<": result += "\\textless{}"
            case ">": result += "\\textgreater{}"
            case "\n": result += " "
            default: result.append(character)
            }
        }
        return result
    }
}
