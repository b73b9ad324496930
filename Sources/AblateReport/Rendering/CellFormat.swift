import Foundation

/// How numbers appear in text reports: two decimals for scaled values (46.24), four
/// significant digits otherwise, a true minus sign for deltas, and "—" for missing.
enum CellFormat {
    static let missing = "—"

    /// `%.2f` for scaled values and large ones, `%.4g` otherwise.
    static func number(_ value: Double, scaled: Bool) -> String {
        if scaled || abs(value) >= 100 { return DecimalFormatter.fixed(value, fractionDigits: 2) }
        return DecimalFormatter.general(value, significant: 4)
    }

    static func delta(_ value: Double, scaled: Bool) -> String {
        let text = number(abs(value), scaled: scaled)
        return (value < 0 ? "−" : "+") + text
    }

    /// `46.24 ± 1.46 (+1.96)`, with the parts a cell has.
    static func text(_ cell: ResultsTable.Cell, column: ResultsTable.Column, best: (String) -> String = { $0 }) -> String {
        guard let value = cell.value else { return missing }
        let scaled = column.scale != 1
        var text = number(value, scaled: scaled)
        if cell.isBest { text = best(text) }
        if let stderr = cell.stderr { text += " ± " + number(stderr, scaled: scaled) }
        if let low = cell.intervalLow, let high = cell.intervalHigh {
            text += " [" + number(low, scaled: scaled) + ", " + number(high, scaled: scaled) + "]"
        }
        if let delta = cell.delta { text += " (" + self.delta(delta, scaled: scaled) + ")" }
        return text
    }
}
