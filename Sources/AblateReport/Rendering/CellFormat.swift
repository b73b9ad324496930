import Foundation

/// How numbers appear in text reports: two decimals for scaled values (46.24), four
/// significant digits otherwise, a true minus sign for deltas, "—" for missing, and the marks of
/// a cell's test against the reference row. Each format joins a cell's parts with its own
/// symbols (`Parts`); `text` is the plain-text joining.
enum CellFormat {
    static let missing = "—"
    /// After a cell that differs significantly from the reference row.
    static let significantMark = "†"
    /// After a cell that no test could compare with the reference row.
    static let untestableMark = "°"

    /// A cell's mark against the reference row.
    enum Mark {
        case significant, untestable
    }

    /// A cell's parts, formatted as numbers.
    struct Parts {
        var value: String
        /// The standard deviation over seeds, or the metric's standard error for one seed.
        var spread: String?
        var interval: (low: String, high: String)?
        /// The seeds with a value, where fewer than the row's.
        var count: Int?
        var delta: (isNegative: Bool, magnitude: String)?
        var mark: Mark?
    }

    /// `%.2f` for scaled values and large ones, `%.4g` otherwise.
    static func number(_ value: Double, scaled: Bool) -> String {
        if scaled || abs(value) >= 100 { return DecimalFormatter.fixed(value, fractionDigits: 2) }
        return DecimalFormatter.general(value, significant: 4)
    }

    /// Nil for a missing value.
    static func parts(_ cell: ResultsTable.Cell, column: ResultsTable.Column, seeds: Int) -> Parts? {
        guard let value = cell.value else { return nil }
        let scaled = column.scale != 1
        var parts = Parts(value: number(value, scaled: scaled))
        parts.spread = (cell.spread ?? cell.stderr).map { number($0, scaled: scaled) }
        if let low = cell.intervalLow, let high = cell.intervalHigh { parts.interval = (number(low, scaled: scaled), number(high, scaled: scaled)) }
        if seeds > 1 && cell.count < seeds { parts.count = cell.count }
        if let delta = cell.delta { parts.delta = (delta < 0, number(abs(delta), scaled: scaled)) }
        if cell.comparison?.isSignificant == true {
            parts.mark = .significant
        } else if cell.isUntestable {
            parts.mark = .untestable
        }
        return parts
    }

    /// `46.24 ± 1.46 [43.10, 49.38] n=2 (+1.96)†`, with the parts a cell has; `delta` formats
    /// the delta's text (in brackets by default).
    static func text(
        _ cell: ResultsTable.Cell, column: ResultsTable.Column, seeds: Int, best: (String) -> String = { $0 },
        delta formatDelta: (String) -> String = { " (\($0))" }
    ) -> String {
        guard let parts = parts(cell, column: column, seeds: seeds) else { return missing }
        var text = cell.isBest ? best(parts.value) : parts.value
        if let spread = parts.spread { text += " ± " + spread }
        if let interval = parts.interval { text += " [\(interval.low), \(interval.high)]" }
        if let count = parts.count { text += " n=\(count)" }
        if let delta = parts.delta { text += formatDelta((delta.isNegative ? "−" : "+") + delta.magnitude) }
        switch parts.mark {
        case .significant: text += significantMark
        case .untestable: text += untestableMark
        case nil: break
        }
        return text
    }

    /// ` (n=3)` after the label of a row of several seeds.
    static func seedsSuffix(_ row: ResultsTable.Row) -> String {
        row.perSeed.isEmpty ? "" : " (n=\(row.perSeed.count))"
    }
}
