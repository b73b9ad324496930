import Foundation

/// How numbers appear in text reports: two decimals for scaled values (46.24), four
/// significant digits otherwise, a true minus sign for deltas, and "—" for missing.
enum CellFormat {
    static let missing = "—"

    static func number(_ value: Double, scaled: Bool) -> String {
        if scaled || abs(value) >= 100 { return printf("%.2f", value) }
        return printf("%.4g", value)
    }

    /// C's formatting straight into a stack buffer: `String(format:)` costs microseconds a
    /// call, and a large table formats millions of numbers.
    private static func printf(_ format: String, _ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 48) { buffer -> String in
            let count = withVaList([value]) { vsnprintf(buffer.baseAddress, buffer.count, format, $0) }
            guard count >= 0, Int(count) < buffer.count else { return String(format: format, value) }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(count)), as: UTF8.self)
        }
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
