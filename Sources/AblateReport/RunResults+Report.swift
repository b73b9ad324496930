import AblateStore
import Foundation

extension RunResults {
    /// Reads a run's index (`ablate reindex` rebuilds it if it is missing), or, without
    /// series, the cache of an earlier read while the index is unchanged.
    public static func load(runDirectory: String, series includeSeries: Bool = false) throws -> RunResults {
        let layout = RunLayout(runDirectory: runDirectory)
        guard FileManager.default.fileExists(atPath: layout.index) else { throw ReportError.noIndex(runDirectory) }
        guard !includeSeries else { return try read(layout, series: true) }
        let stamp = RunResultsCache.Stamp(runDirectory: runDirectory)
        if let cached = RunResultsCache.read(runDirectory: runDirectory, stamp: stamp) { return cached }
        let results = try read(layout, series: false)
        RunResultsCache.write(results, runDirectory: runDirectory, stamp: stamp)
        return results
    }

    /// Writes the run's `report.cache` unless an up-to-date one exists: a finished run leaves
    /// one, so that even the first report on it need not read the index through SQLite.
    public static func prepareCache(runDirectory: String) {
        _ = try? load(runDirectory: runDirectory)
    }

    /// The value and standard error of each chosen column for every variant, row by row: the
    /// metric of variant position `p` in column `c` is at `p * columns.count + c`.
    public func values(of columns: [String]) -> [Metric?] {
        let columnIndex = Dictionary(columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let keyColumn = keys.map { columnIndex[$0] }
        var values = [Metric?](repeating: nil, count: columns.count * variants.count)
        for entry in entries {
            let position = Int(entry.position)
            guard position >= 0, position < variants.count, let column = keyColumn[Int(entry.key)] else { continue }
            values[position * columns.count + column] = Metric(value: entry.value.isNaN ? nil : entry.value, stderr: entry.stderr.isNaN ? nil : entry.stderr)
        }
        return values
    }

    /// A variant's axis values, parsed when asked for: a table without a reference row or row
    /// labels never needs them.
    public func axisValues(of variant: VariantRow) -> [String: String] {
        Self.parseAxisValues(variant.axisValues)
    }

    static func parseAxisValues(_ json: String) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { value in
            if let number = value as? NSNumber { return number.stringValue }
            return "\(value)"
        }
    }
}

/// A report that cannot be made.
public enum ReportError: Error, CustomStringConvertible {
    case noIndex(String)
    case noRuns

    public var description: String {
        switch self {
        case .noIndex(let directory): return "\(directory) has no readable index.sqlite; rebuild it with 'ablate reindex \(directory)'"
        case .noRuns: return "no runs to report on"
        }
    }
}
