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

    /// One value of the table.
    public struct Cell: Sendable, Hashable {
        /// Scaled; nil when the variant has no such result.
        public var value: Double?
        public var stderr: Double?
        /// Against the reference row, when there is one and both values exist.
        public var delta: Double?
        public var isBest = false
        /// The 95% bootstrap interval of the mean, where per-item values are stored (scaled).
        public var intervalLow: Double?
        public var intervalHigh: Double?
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
