import Foundation

/// The table a paper needs: one row per variant, one column per metric, a reference row with
/// deltas against it, the best value of each column marked, missing values kept missing.
public struct ResultsTable: Sendable {
    /// A metric column.
    public struct Column: Sendable, Hashable {
        /// `stage/metric`, as the index names it.
        public var key: String
        public var label: String
        public var scale: Double
        public var higherIsBetter: Bool
    }

    /// One value of the table. Missing parts are NaN inside (five plain numbers rather than
    /// five optionals halve the size of a hundred runs' table) and nil outside.
    public struct Cell: Sendable, Hashable {
        private var stored = (value: Double.nan, stderr: Double.nan, delta: Double.nan, low: Double.nan, high: Double.nan)
        public var isBest = false

        public init(value: Double? = nil, stderr: Double? = nil, delta: Double? = nil, isBest: Bool = false) {
            self.value = value
            self.stderr = stderr
            self.delta = delta
            self.isBest = isBest
        }

        /// Scaled; nil when the variant has no such result.
        public var value: Double? {
            get { Self.optional(stored.value) }
            set { stored.value = newValue ?? .nan }
        }
        public var stderr: Double? {
            get { Self.optional(stored.stderr) }
            set { stored.stderr = newValue ?? .nan }
        }
        /// Against the reference row, when there is one and both values exist.
        public var delta: Double? {
            get { Self.optional(stored.delta) }
            set { stored.delta = newValue ?? .nan }
        }
        /// The 95% bootstrap interval of the mean, where per-item values are stored (scaled).
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
                && lhs.intervalHigh == rhs.intervalHigh && lhs.isBest == rhs.isBest
        }

        public func hash(into hasher: inout Hasher) {
            for part in [value, stderr, delta, intervalLow, intervalHigh] { hasher.combine(part) }
            hasher.combine(isBest)
        }
    }

    /// A variant of a run.
    public struct Row: Sendable, Hashable {
        public var label: String
        public var run: String
        public var variant: String
        public var isReference: Bool
        public var cells: [Cell]
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
}
