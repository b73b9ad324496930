import Foundation

/// A metric over the seeds of one setting: mean, sample standard deviation, n, and the 95%
/// interval of the mean from the t distribution with n − 1 degrees of freedom.
struct SeedSummary: Sendable {
    var mean: Double
    /// Nil for a single seed.
    var standardDeviation: Double?
    var count: Int
    var interval: (low: Double, high: Double)?

    /// Nil without values.
    init?(_ values: [Double], confidence: Double = 0.95) {
        guard !values.isEmpty else { return nil }
        count = values.count
        mean = values.reduce(0, +) / Double(values.count)
        guard values.count >= 2 else { return }
        let mean = mean
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        let deviation = variance.squareRoot()
        standardDeviation = deviation
        let half = StudentT.quantile(1 - (1 - confidence) / 2, degrees: Double(values.count - 1)) * deviation / Double(values.count).squareRoot()
        interval = (mean - half, mean + half)
    }

    /// The sample variance (n − 1 in the denominator); nil for a single seed.
    var variance: Double? { standardDeviation.map { $0 * $0 } }
}
