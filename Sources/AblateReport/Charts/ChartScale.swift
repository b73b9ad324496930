import Foundation

/// A linear axis: a range widened to round numbers, its ticks at steps of 1, 2 or 5 times a
/// power of ten (Heckbert, "Nice numbers for graph labels", Graphics Gems, 1990), and the
/// mapping of values onto pixels.
struct ChartScale {
    var low: Double
    var high: Double
    var step: Double

    /// A scale that holds every finite value of `values` (and `including`), with at most about
    /// `ticks` ticks.
    init(covering values: [Double], including: [Double] = [], ticks: Int = 5) {
        let finite = (values + including).filter(\.isFinite)
        var low = finite.min() ?? 0
        var high = finite.max() ?? 1
        if low == high && low == 0 {
            high = 1
        } else if low == high {
            low -= abs(low) * 0.1
            high += abs(high) * 0.1
        }
        let step = Self.nice((high - low) / Double(max(ticks - 1, 1)), rounded: true)
        self.step = step
        self.low = (low / step).rounded(.down) * step
        self.high = (high / step).rounded(.up) * step
    }

    /// 1, 2, 5 or 10 times the power of ten below `value`: the nearest when `rounded`, else the next above.
    private static func nice(_ value: Double, rounded: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = (log10(value)).rounded(.down)
        let fraction = value / pow(10, exponent)
        let niceFraction: Double
        if rounded {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }

    var ticks: [Double] {
        let count = Int(((high - low) / step).rounded()) + 1
        guard count > 0, count < 1000 else { return [low, high] }
        // Computed from the index rather than added up, so that 0.1 + 0.2 does not print as 0.30000000000000004.
        return (0..<count).map { index in
            let value = low + Double(index) * step
            return abs(value) < step * 1e-9 ? 0 : value
        }
    }

    /// The pixel of `value` on an axis drawn from `start` (at `low`) to `end` (at `high`).
    func position(_ value: Double, from start: Double, to end: Double) -> Double {
        let span = high - low
        return start + (span == 0 ? 0.5 : (value - low) / span) * (end - start)
    }

    /// A tick's label: as many decimals as the step needs, a true minus sign, and powers of ten
    /// written out (`1e+06`) beyond six digits.
    func label(_ value: Double) -> String { Self.format(value, step: step) }

    static func format(_ value: Double, step: Double) -> String {
        let text: String
        if value != 0 && (abs(value) >= 1e6 || abs(value) < 1e-4) {
            text = String(format: "%.2g", value)
        } else {
            let decimals = max(0, min(6, Int((-log10(step)).rounded(.up))))
            text = String(format: "%.\(decimals)f", value)
        }
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }

    /// A value in a hover text: four significant digits.
    static func hover(_ value: Double) -> String {
        let text = String(format: "%.4g", value)
        return text.hasPrefix("-") ? "−" + text.dropFirst() : text
    }
}
