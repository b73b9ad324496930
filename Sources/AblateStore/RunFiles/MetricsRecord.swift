/// `tasks/<task>/metrics.json`: what a task measured, read from the files its tools wrote.
public struct MetricsRecord: Codable, Hashable, Sendable {
    /// A final value, with its standard error when the source gives one. NaN is stored as nil.
    public struct Scalar: Codable, Hashable, Sendable {
        public var value: Double?
        public var stderr: Double?

        public init(value: Double?, stderr: Double? = nil) {
            self.value = value
            self.stderr = stderr
        }
    }

    /// One point of a series (a training loss per step).
    public struct Point: Codable, Hashable, Sendable {
        public var step: Int
        public var value: Double?

        public init(step: Int, value: Double?) {
            self.step = step
            self.value = value
        }
    }

    public var scalars: [String: Scalar]
    public var series: [String: [Point]]
    /// Per-item values (one per prompt or example) from `items.jsonl`, in item order: what
    /// bootstrap confidence intervals are drawn from.
    public var items: [String: [Double]]

    public init(scalars: [String: Scalar] = [:], series: [String: [Point]] = [:], items: [String: [Double]] = [:]) {
        self.scalars = scalars
        self.series = series
        self.items = items
    }

    public var isEmpty: Bool { scalars.isEmpty && series.isEmpty && items.isEmpty }

    private enum CodingKeys: String, CodingKey {
        case scalars, series, items
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        scalars = try container.decode([String: Scalar].self, forKey: .scalars)
        series = try container.decode([String: [Point]].self, forKey: .series)
        items = try container.decodeIfPresent([String: [Double]].self, forKey: .items) ?? [:]
    }
}
