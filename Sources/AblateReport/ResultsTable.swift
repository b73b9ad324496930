import Foundation

/// The table a paper needs: one row per setting (its seeds aggregated) or per variant, one column
/// per metric, a reference row with deltas and significance marks against it, the best value of
/// each column marked, missing values kept missing.
public struct ResultsTable: Sendable {
    /// A metric column.
    public struct Column: Sendable, Hashable {
        /// `stage/metric`, as the index names it.
        public var key: String
        public var label: String
        public var scale: Double
        public var higherIsBetter: Bool
    }

    /// How a cell's interval was drawn.
    public enum IntervalMethod: String, Sendable, Hashable {
        /// The 95% bootstrap interval of the mean of one variant's per-item values.
        case bootstrap
        /// The 95% interval of the mean over seeds, from the t distribution with n − 1 degrees of freedom.
        case t
    }

    /// A cell's test against the reference row.
    public struct Comparison: Sendable, Hashable {
        /// The test a comparison used.
        public enum Test: String, Sendable, Hashable {
            /// Per-item differences resampled (both rows have values for the same items).
            case pairedBootstrap = "paired-bootstrap"
            /// Welch's unequal-variances t-test across seeds.
            case welch
        }

        public var test: Test
        public var p: Double
        /// Holm-corrected over every comparison of the table.
        public var adjustedP: Double

        /// Differs from the reference at the 5% level, after the correction.
        public var isSignificant: Bool { adjustedP < ResultsTable.significanceLevel }
    }

    /// The level below which a Holm-corrected p-value marks a difference.
    public static let significanceLevel = 0.05

    /// One value of the table. Missing parts are NaN inside (plain numbers rather than
    /// optionals halve the size of a hundred runs' table) and nil outside.
    public struct Cell: Sendable, Hashable {
        private var stored = (value: Double.nan, stderr: Double.nan, delta: Double.nan, low: Double.nan, high: Double.nan, spread: Double.nan)
        public var isBest = false
        /// The seeds behind the value: 1 for a single variant, 0 when missing.
        public var count = 0
        public var intervalMethod = IntervalMethod.bootstrap
        /// Against the reference row; nil for the reference itself, without a reference, or
        /// where no test applies (see `isUntestable`).
        public var comparison: Comparison?
        /// A cell with a value, in a table with a reference row, that no test could compare with it.
        public var isUntestable = false

        public init(value: Double? = nil, stderr: Double? = nil, delta: Double? = nil, isBest: Bool = false) {
            self.value = value
            self.stderr = stderr
            self.delta = delta
            self.isBest = isBest
        }

        /// Scaled; nil when the variant has no such result. The mean over seeds in an aggregated row.
        public var value: Double? {
            get { Self.optional(stored.value) }
            set { stored.value = newValue ?? .nan }
        }
        public var stderr: Double? {
            get { Self.optional(stored.stderr) }
            set { stored.stderr = newValue ?? .nan }
        }
        /// The standard deviation over seeds (scaled); nil for a single seed.
        public var spread: Double? {
            get { Self.optional(stored.spread) }
            set { stored.spread = newValue ?? .nan }
        }
        /// Against the reference row, when there is one and both values exist.
        public var delta: Double? {
            get { Self.optional(stored.delta) }
            set { stored.delta = newValue ?? .nan }
        }
        /// The 95% interval of the mean (scaled): over seeds, or by bootstrap where one variant's
        /// per-item values are stored; `intervalMethod` says which.
        public var intervalLow: Double? {
            get { Self.optional(stored.low) }
            set { stored.low = newValue ?? .nan }
        }
        public var intervalHigh: Double? {
            get { Self.optional(stored.high) }
            set { stored.high = newValue ?? .nan }
        }

        private static func optional(_ number: Double) -> Double? { number.isNaN ? nil : number }

        public static func == (lhs: Cell, rhs: Cell) -> Bool {
            lhs.value == rhs.value && lhs.stderr == rhs.stderr && lhs.delta == rhs.delta && lhs.intervalLow == rhs.intervalLow
                && lhs.intervalHigh == rhs.intervalHigh && lhs.spread == rhs.spread && lhs.isBest == rhs.isBest && lhs.count == rhs.count
                && lhs.intervalMethod == rhs.intervalMethod && lhs.comparison == rhs.comparison && lhs.isUntestable == rhs.isUntestable
        }

        public func hash(into hasher: inout Hasher) {
            for part in [value, stderr, delta, intervalLow, intervalHigh, spread] { hasher.combine(part) }
            hasher.combine(isBest)
            hasher.combine(count)
            hasher.combine(comparison)
        }
    }

    /// A setting of a run: its variants that differ only in their seed, aggregated, or one variant.
    public struct Row: Sendable, Hashable {
        /// The sweep values as written (`model=meta-llama/Llama-2-7b-hf`), or the spec's row labels.
        public var label: String
        public var run: String
        /// The variants behind the row, in seed order.
        public var variants: [String]
        /// Their seeds, as written; empty without a `seeds:` axis.
        public var seeds: [String]
        public var isReference: Bool
        public var cells: [Cell]
        /// The variants of an aggregated row, one row per seed (empty for a row of one variant).
        public var perSeed: [Row] = []
    }

    /// A configuration key whose values differ between the compared runs.
    public struct ConfigDifference: Sendable, Hashable {
        public var key: String
        /// Run id → value (several swept values joined with ` | `).
        public var values: [String: String]
    }

    public var title: String
    public var columns: [Column]
    public var rows: [Row]
    /// What the table lacks, in words: variants without results, and why.
    public var missing: [String]
    public var configDifferences: [ConfigDifference]
    public var runs: [String]
    /// What the table's spreads, intervals and marks mean: only the entries its cells need.
    public var legend: [LegendEntry] = []
    /// The compute of each run, in the order of the runs.
    public var costs: [RunCost] = []

    /// One line of the legend.
    public enum LegendEntry: Sendable, Hashable {
        /// Some rows aggregate several seeds.
        case seedsAggregated
        /// Some cells of one run carry a bootstrap interval over items.
        case bootstrapIntervals
        /// Cells were tested against the reference row; how many comparisons the correction covers.
        case significance(comparisons: Int)
        /// Some cells could not be tested.
        case untestable

        /// The line in plain text.
        public var text: String {
            switch self {
            case .seedsAggregated:
                return
                    "Rows of several seeds: mean ± standard deviation [95% t-interval] over the seeds (n=k where a cell has fewer seeds than its row); --per-seed shows each seed."
            case .bootstrapIntervals:
                return "[low, high] of a single run: 95% bootstrap interval of the mean over items."
            case .significance(let comparisons):
                return
                    "\(CellFormat.significantMark) differs from the reference row: Holm-corrected p < \(ResultsTable.significanceLevel) over \(comparisons) comparisons (paired bootstrap over items where both rows have them, Welch's t-test across seeds otherwise)."
            case .untestable:
                return
                    "\(CellFormat.untestableMark) cannot be tested against the reference row: neither per-item values for the same items nor two seeds on both sides."
            }
        }
    }
}
