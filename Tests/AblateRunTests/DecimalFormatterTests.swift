import Foundation
import Testing

@testable import AblateReport

/// The report's number formatting prints exactly what C's `%.4g` and `%.2f` print.
@Suite struct DecimalFormatterTests {
    @Test func knownValuesAndTies() {
        let cases: [(Double, String, String)] = [
            (0, "0", "0.00"), (-0.0, "-0", "-0.00"), (1, "1", "1.00"), (46.24, "46.24", "46.24"), (0.4625, "0.4625", "0.46"),
            (1.2345, "1.234", "1.23"), (46.245, "46.24", "46.24"), (0.125, "0.125", "0.12"), (99.995, "100", "100.00"),
            (1e-05, "1e-05", "0.00"), (0.0001, "0.0001", "0.00"), (123456, "1.235e+05", "123456.00"), (9999.5, "1e+04", "9999.50"),
            (-0.000123456, "-0.0001235", "-0.00"), (1.5e300, "1.5e+300", String(format: "%.2f", 1.5e300)), (0x1p60, "1.153e+18", "1152921504606846976.00"),
            (.infinity, "inf", "inf"),
        ]
        for (value, general, fixed) in cases {
            #expect(DecimalFormatter.general(value, significant: 4) == general, "\(value)")
            #expect(DecimalFormatter.fixed(value, fractionDigits: 2) == fixed, "\(value)")
        }
    }

    @Test func randomValuesOfEveryMagnitudeMatchPrintf() {
        var generator = SplitMix64(seed: 42)
        for _ in 0..<200_000 {
            let magnitude = Double.random(in: -12...20, using: &generator)
            var value = pow(10, magnitude) * (Bool.random(using: &generator) ? 1 : -1)
            // Short decimals, as metrics often are: ties and exact values.
            if Bool.random(using: &generator) { value = (value * 10_000).rounded() / 10_000 }
            #expect(DecimalFormatter.general(value, significant: 4) == String(format: "%.4g", value), "\(value)")
            #expect(DecimalFormatter.fixed(value, fractionDigits: 2) == String(format: "%.2f", value), "\(value)")
        }
    }
}
