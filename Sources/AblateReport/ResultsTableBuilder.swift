import AblateCore
import AblateStore
import Foundation

/// Builds the results table of one or more runs. Runs of different studies can be compared
/// where their metric names match.
public struct ResultsTableBuilder: Sendable {
    public var report: ReportSpec

    public init(report: ReportSpec) {
        self.report = report
    }

    public func build(_ runs: [RunResults]) throws -> ResultsTable {
        guard !runs.isEmpty else { throw ReportError.noRuns }
        let columns = selectColumns(available: runs.reduce(into: Set<String>()) { $0.formUnion($1.metricKeys) })
        var table = ResultsTable(
            title: Array(Set(runs.map(\.run.study))).sorted().joined(separator: ", "), columns: columns, rows: [], missing: [],
            configDifferences: configDifferences(runs), runs: runs.map(\.run.id))
        // Each run's rows on a core of its own, in the order of the runs.
        let prefixed = runs.count > 1
        for part in runs.parallelMap(chunkSize: 1, { rows(of: $0, columns: columns, prefixed: prefixed) }) {
            table.rows += part.rows
            table.missing += part.missing
        }
        // The reference row leads, as the base model does in a paper's table.
        if let reference = table.rows.firstIndex(where: \.isReference) { table.rows.insert(table.rows.remove(at: reference), at: 0) }
        markReferenceDeltas(&table)
        markBest(&table)
        return table
    }

    /// A run's rows, and what its variants lack.
    private func rows(of results: RunResults, columns: [ResultsTable.Column], prefixed: Bool) -> (rows: [ResultsTable.Row], missing: [String]) {
        var rows: [ResultsTable.Row] = []
        var missing: [String] = []
        if results.variants.isEmpty {
            missing.append("run \(results.run.id): its index lists no variants (made by an older ablate); rebuild it with 'ablate reindex'")
        }
        let values = results.values(of: columns.map(\.key))
        let intervals = results.intervals(of: columns.map(\.key))
        for (position, variant) in results.variants.enumerated() {
            let label = rowLabel(results, variant, prefixed: prefixed)
            var unfinished: [String] = []
            for (stage, taskID) in (results.stageTasks[variant.name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let state = results.tasks[taskID]?.state, !state.isDone {
                    unfinished.append("\(stage) \(state)")
                }
            }
            if !unfinished.isEmpty { missing.append("\(label): \(unfinished.joined(separator: ", "))") }
            let isReference =
                !report.reference.isEmpty
                && {
                    let axes = results.axisValues(of: variant)
                    return report.reference.allSatisfy { axes[$0.key] == $0.value }
                }()
            let cells = columns.indices.map { index -> ResultsTable.Cell in
                let column = columns[index]
                let metric = values[position * columns.count + index]
                var cell = ResultsTable.Cell(value: metric?.value.map { $0 * column.scale }, stderr: metric?.stderr.map { $0 * column.scale })
                if let interval = intervals?[position][index] {
                    cell.intervalLow = interval.low * column.scale
                    cell.intervalHigh = interval.high * column.scale
                }
                return cell
            }
            // A variant with no value in any column is listed as missing rather than shown empty.
            if cells.allSatisfy({ $0.value == nil }) && !columns.isEmpty {
                if unfinished.isEmpty { missing.append("\(label): no results") }
                continue
            }
            rows.append(ResultsTable.Row(label: label, run: results.run.id, variant: variant.name, isReference: isReference, cells: cells))
        }
        return (rows, missing)
    }

    /// The columns: those the report names (patterns expanded in order), or every metric found.
    func selectColumns(available: Set<String>) -> [ResultsTable.Column] {
        let sortedKeys = available.sorted()
        guard !report.columns.isEmpty else {
            return sortedKeys.map { ResultsTable.Column(key: $0, label: $0, scale: 1, higherIsBetter: Self.higherIsBetter($0)) }
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

    /// Losses, perplexities and errors are better low; everything else high.
    static func higherIsBetter(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return !["loss", "perplexity", "ppl", "error", "wer"].contains { lowered.contains($0) }
    }

    private func rowLabel(_ results: RunResults, _ variant: VariantRow, prefixed: Bool) -> String {
        var label = variant.name
        if !report.rowAxes.isEmpty {
            let axes = results.axisValues(of: variant)
            let parts = report.rowAxes.compactMap { axis -> String? in
                guard let value = axes[axis] else { return nil }
                return report.rowLabels[axis]?[value] ?? "\(axis)=\(value)"
            }
            label = parts.filter { !$0.isEmpty }.joined(separator: ", ")
        }
        return prefixed ? "\(results.run.id): \(label)" : label
    }

    private func markReferenceDeltas(_ table: inout ResultsTable) {
        guard let reference = table.rows.first(where: \.isReference) else { return }
        for rowIndex in table.rows.indices where !table.rows[rowIndex].isReference {
            for columnIndex in table.columns.indices {
                if let value = table.rows[rowIndex].cells[columnIndex].value, let base = reference.cells[columnIndex].value {
                    table.rows[rowIndex].cells[columnIndex].delta = value - base
                }
            }
        }
    }

    /// Marks the best value of each column that has at least two values: one pass to find
    /// them, one to mark them.
    private func markBest(_ table: inout ResultsTable) {
        let columns = table.columns
        var best = [Double?](repeating: nil, count: columns.count)
        var counts = [Int](repeating: 0, count: columns.count)
        for row in table.rows {
            for (index, cell) in row.cells.enumerated() {
                guard let value = cell.value else { continue }
                counts[index] += 1
                if let current = best[index], columns[index].higherIsBetter ? value <= current : value >= current { continue }
                best[index] = value
            }
        }
        for index in columns.indices where counts[index] < 2 { best[index] = nil }
        for rowIndex in table.rows.indices {
            for index in columns.indices where best[index] != nil && table.rows[rowIndex].cells[index].value == best[index] {
                table.rows[rowIndex].cells[index].isBest = true
            }
        }
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
