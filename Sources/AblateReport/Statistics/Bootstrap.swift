/// Bootstrap confidence intervals for the mean of per-item values (win rates, diversity per
/// prompt): resample the items with replacement, take the middle 95% of the resampled means.
/// Seeded, so a report is the same every time it is drawn.
enum Bootstrap {
    static let resamples = 1_000

    static func interval(_ values: [Double], confidence: Double = 0.95) -> (low: Double, high: Double)? {
        guard values.count >= 2 else { return nil }
        var generator = SplitMix64(seed: 0x5EED_AB1A7E)
        var means: [Double] = []
        means.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var sum = 0.0
            for _ in 0..<values.count { sum += values[Int(generator.next() % UInt64(values.count))] }
            means.append(sum / Double(values.count))
        }
        means.sort()
        let tail = (1 - confidence) / 2
        let low = means[Int((tail * Double(resamples)).rounded(.down))]
        let high = means[min(resamples - 1, Int(((1 - tail) * Double(resamples)).rounded(.down)))]
        return (low, high)
    }
}

/// A small, fast, seeded random number generator (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
