import Foundation

/// Seconds as the progress lines and `status` show them, to a tenth (`12.3`), without
/// Foundation's `String(format:)`, which took longer than the rest of a progress line.
enum SecondsText {
    static func tenths(_ seconds: Double) -> String {
        let tenths = (seconds * 10).rounded()
        // Beyond what an Int holds, or not a number: no duration gets there.
        guard tenths.magnitude < 1e18 else { return String(format: "%.1f", seconds) }
        let whole = Int(tenths)
        return (whole < 0 ? "-" : "") + "\(whole.magnitude / 10).\(whole.magnitude % 10)"
    }
}
