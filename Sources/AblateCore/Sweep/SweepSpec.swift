/// The sweep as written: grid axes, zipped axis groups, extra and excluded variants.
public struct SweepSpec: Sendable {
    /// One axis and its values, in the order written.
    public struct Axis: Sendable {
        public var name: String
        public var values: [SettingValue]
        public var location: SourceLocation
        /// Axes in the same zip group vary together instead of forming a product.
        public var zipGroup: Int?
    }

    /// A partial or full assignment of axis values with where it was written (`include:` /
    /// `exclude:` entries).
    public struct Assignment: Sendable {
        public var values: [String: [SettingValue]]
        public var keyLocations: [String: SourceLocation]
        public var location: SourceLocation
    }

    public var axes: [Axis] = []
    public var include: [Assignment] = []
    public var exclude: [Assignment] = []
    public var location: SourceLocation?

    public var axisNames: [String] { axes.map(\.name) }

    public func axis(named name: String) -> Axis? { axes.first { $0.name == name } }

    /// Every value an axis can take: its own values and those `include:` adds.
    public func possibleValues(of axisName: String) -> [SettingValue] {
        var values = axis(named: axisName)?.values ?? []
        for entry in include {
            for value in entry.values[axisName] ?? [] where !values.contains(value) {
                values.append(value)
            }
        }
        return values
    }

    /// The axis that `seeds:` declares.
    public static let seedAxis = "seed"
}
