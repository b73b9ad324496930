import Foundation

/// The tests behind a cell's mark against the reference row: a paired bootstrap over items
/// where both rows have per-item values for the same items, Welch's t-test across seeds
/// otherwise, and Holm's correction over all of a table's comparisons.
enum Significance {
    static let bootstrapResamples = 10_000

    /// The two-sided p-value of "the mean difference of paired items is 0": the share of
    /// bootstrap means of the differences, centred on the observed mean, at least as far from 0
    /// as the observed mean ((count + 1) / (resamples + 1), never 0). Seeded, so a report is the
    /// same every time. Nil with fewer than two pairs or unequal lengths.
    static func pairedBootstrapP(_ values: [Double], _ reference: [Double]) -> Double? {
        guard values.count == reference.count, values.count >= 2 else { return nil }
        let differences = zip(values, reference).map { $0 - $1 }
        let observed = differences.reduce(0, +) / Double(differences.count)
        guard differences.contains(where: { $0 != observed }) else { return observed == 0 ? 1 : 0 }
        var generator = SplitMix64(seed: 0xB007_57A9)
        var extreme = 0
        for _ in 0..<bootstrapResamples {
            var sum = 0.0
            for _ in 0..<differences.count { sum += differences[Int(generator.next() % UInt64(differences.count))] }
            if abs(sum / Double(differences.count) - observed) >= abs(observed) { extreme += 1 }
        }
        return Double(extreme + 1) / Double(bootstrapResamples + 1)
    }

    /// Welch's unequal-variances t-test of two means over seeds: (t, degrees of freedom,
    /// two-sided p). Nil unless both sides have two seeds or more and some spread.
    static func welch(_ values: SeedSummary, _ reference: SeedSummary) -> (t: Double, degrees: Double, p: Double)? {
        guard let first = values.variance, let second = reference.variance else { return nil }
        let a = first / Double(values.count)
        let b = second / Double(reference.count)
        guard a + b > 0 else { return nil }
        let t = (values.mean - reference.mean) / (a + b).squareRoot()
        let degrees = (a + b) * (a + b) / (a * a / Double(values.count - 1) + b * b / Double(reference.count - 1))
        return (t, degrees, StudentT.twoSidedP(t, degrees: degrees))
    }

    /// Holm's step-down adjustment of p-values, in their order: the i-th smallest is multiplied
    /// by (m − i + 1), made no smaller than the one before it, and capped at 1.
    static func holm(_ pValues: [Double]) -> [Double] {
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] }
        var adjusted = [Double](repeating: 1, count: pValues.count)
        var running = 0.0
        for (rank, index) in order.enumerated() {
            running = max(running, min(1, Double(pValues.count - rank) * pValues[index]))
            adjusted[index] = running
        }
        return adjusted
    }
}
