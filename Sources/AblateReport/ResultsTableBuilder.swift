import AblateCore
import AblateStore
import Foundation

/// Builds the results table of one or more runs. Runs of different studies can be compared
/// where their metric names match. Variants that differ only in their seed form one row, unless
/// `perSeed` asks for a row per variant.
public struct ResultsTableBuilder: Sendable {
    public var report: ReportSpec
    /// One row per variant instead of one per setting with its seeds aggregated.
    public var perSeed: Bool
    /// What a GPU-hour costs: adds the `cost/price` metrics and prices each run's total.
    public var gpuHourPrice: Double?

    public init(report: ReportSpec, perSeed: Bool = false, gpuHourPrice: Double? = nil) {
        self.report = report
        self.perSeed = perSeed
        self.gpuHourPrice = gpuHourPrice
    }

    public func build(_ runs: [RunResults]) throws -> ResultsTable {
        guard !runs.isEmpty else { throw ReportError.noRuns }
        let runs = runs.map { $0.addingCostMetrics(gpuHourPrice: gpuHourPrice) }
        let columns = selectColumns(available: runs.reduce(into: Set<String>()) { $0.formUnion($1.metricKeys) })
        var table = ResultsTable(
            title: Array(Set(runs.map(\.run.study))).sorted().joined(separator: ", "), columns: columns, rows: [], missing: [],
            configDifferences: configDifferences(runs), runs: runs.map(\.run.id))
        // Each run's rows on a core of its own, in the order of the runs.
        let prefixed = runs.count > 1
        var rows: [EvidencedRow] = []
        for part in runs.parallelMap(chunkSize: 1, { self.rows(of: $0, columns: columns, prefixed: prefixed) }) {
            rows += part.rows
            table.missing += part.missing
        }
        // The reference row leads, as the base model does in a paper's table.
        if let reference = rows.firstIndex(where: \.row.isReference) { rows.insert(rows.remove(at: reference), at: 0) }
        compareWithReference(&rows)
        table.rows = rows.map(\.row)
        markBest(&table)
        table.legend = legend(table)
        table.costs = runs.map { $0.costSummary(gpuHourPrice: gpuHourPrice) }
        return table
    }

    /// The columns: those the report names (patterns expanded in order), or every metric found
    /// but the costs (`--metric 'cost/*'` asks for those).
    func selectColumns(available: Set<String>) -> [ResultsTable.Column] {
        let sortedKeys = available.sorted()
        guard !report.columns.isEmpty else {
            return sortedKeys.filter { !$0.hasPrefix(RunResults.costStage + "/") }.map {
                ResultsTable.Column(key: $0, label: $0, scale: 1, higherIsBetter: Self.higherIsBetter($0))
            }
        }
        var columns: [ResultsTable.Column] = []
        for spec in report.columns {
            let matches = spec.metric.contains("*") ? sortedKeys.filter { Glob.matches(spec.metric, $0) } : [spec.metric]
            for key in matches where !columns.contains(where: { $0.key == key }) {
                let label = spec.metric.contains("*") ? key : (spec.label ?? key)
                columns.append(ResultsTable.Column(key: key, label: label, scale: spec.scale, higherIsBetter: spec.higherIsBetter ?? Self.higherIsBetter(key)))
            }
        }
        return columns
    }

    /// Losses, perplexities, errors and costs are better low; everything else high.
    static func higherIsBetter(_ key: String) -> Bool {
        if key.hasPrefix(RunResults.costStage + "/") { return false }
        let lowered = key.lowercased()
        return !["loss", "perplexity", "ppl", "error", "wer"].contains { lowered.contains($0) }
    }

    /// The params whose values differ between runs (a param swept inside a run lists its values).
    private func configDifferences(_ runs: [RunResults]) -> [ResultsTable.ConfigDifference] {
        guard runs.count > 1 else { return [] }
        var perRun: [[String: String]] = []
        for results in runs {
            var values: [String: Set<String>] = [:]
            for (taskID, params) in results.params {
                let stage = results.tasks[taskID]?.stage ?? taskID
                for (name, value) in params { values["\(stage).\(name)", default: []].insert(value) }
            }
            perRun.append(values.mapValues { $0.sorted().joined(separator: " | ") })
        }
        let keys = Set(perRun.flatMap(\.keys)).sorted()
        return keys.compactMap { key in
            let values = perRun.map { $0[key] ?? "—" }
            guard Set(values).count > 1 else { return nil }
            return ResultsTable.ConfigDifference(key: key, values: Dictionary(uniqueKeysWithValues: zip(runs.map(\.run.id), values)))
        }
    }
}

/// `eval/*/acc_norm`-style patterns: `*` matches any text, including `/`.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let parts = pattern.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
        guard parts.count > 1 else { return pattern == text }
        guard let first = parts.first, let last = parts.last, text.hasPrefix(first), text.count >= first.count + last.count else { return false }
        var rest = Substring(text.dropFirst(first.count))
        for middle in parts.dropFirst().dropLast() where !middle.isEmpty {
            guard let range = rest.range(of: middle) else { return false }
            rest = rest[range.upperBound...]
        }
        return rest.hasSuffix(last)
    }
}
