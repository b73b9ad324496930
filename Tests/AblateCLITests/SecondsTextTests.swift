import Foundation
import Testing

@testable import AblateCLI

/// Durations to a tenth of a second, as `String(format: "%.1f")` writes them.
@Suite struct SecondsTextTests {
    @Test func durationsAreRoundedToATenth() {
        let expected: [(Double, String)] = [
            (0, "0.0"), (0.04, "0.0"), (0.06, "0.1"), (1.26, "1.3"), (12.34, "12.3"), (59.99, "60.0"), (3599.96, "3600.0"),
            (86_400.5, "86400.5"), (-1.26, "-1.3"),
        ]
        for (seconds, text) in expected {
            #expect(SecondsText.tenths(seconds) == text, "\(seconds)")
        }
    }

    @Test func theTextIsTheFormattersAwayFromTies() {
        // Values a hundredth and a bit past a tenth: no tie, where the two may round apart.
        for hundredths in stride(from: 0, to: 200_000, by: 7) {
            let seconds = Double(hundredths) / 100 + 0.013
            #expect(SecondsText.tenths(seconds) == String(format: "%.1f", seconds), "\(seconds)")
        }
    }

    @Test func whatNoDurationReachesFallsBackToTheFormatter() {
        for seconds in [1e30, -1e30, Double.infinity, -Double.infinity, Double.nan] {
            #expect(SecondsText.tenths(seconds) == String(format: "%.1f", seconds))
        }
    }
}
