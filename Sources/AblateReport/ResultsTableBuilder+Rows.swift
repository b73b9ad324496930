import AblateCore
import AblateStore
import Foundation

/// A row with what its comparisons against the reference need, column by column: the per-item
/// values behind each cell (averaged over seeds, item by item) and its summary over seeds.
struct EvidencedRow: Sendable {
    var row: ResultsTable.Row
    var items: [[Double]?]
    var summaries: [SeedSummary?]
}

extension ResultsTableBuilder {
    /// A run's rows, and what its variants lack.
    func rows(of results: RunResults, columns: [ResultsTable.Column], prefixed: Bool) -> (rows: [EvidencedRow], missing: [String]) {
        var missing: [String] = []
        if results.variants.isEmpty {
            missing.append("run \(results.run.id): its index lists no variants (made by an older ablate); rebuild it with 'ablate reindex'")
        }
        let values = results.values(of: columns.map(\.key))
        let itemColumns = itemValues(results, columns: columns)
        // Settings in the order of their first variant; each setting's variants in seed order.
        var settings: [(axes: [String: String], order: [String], variants: [EvidencedRow])] = []
        var settingIndex: [String: Int] = [:]
        for (position, variant) in results.variants.enumerated() {
            let axes = results.axisValues(of: variant)
            let order = Self.axisOrder(of: variant, axes: axes)
            let label = rowLabel(results.run.id, axes, order, withSeed: true, prefixed: prefixed)
            var unfinished: [String] = []
            for (stage, taskID) in (results.stageTasks[variant.name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                if let state = results.tasks[taskID]?.state, !state.isDone {
                    unfinished.append("\(stage) \(state)")
                }
            }
            if !unfinished.isEmpty { missing.append("\(label): \(unfinished.joined(separator: ", "))") }
            let cells = columns.indices.map { index -> ResultsTable.Cell in
                let column = columns[index]
                let metric = values[position * columns.count + index]
                var cell = ResultsTable.Cell(value: metric?.value.map { $0 * column.scale }, stderr: metric?.stderr.map { $0 * column.scale })
                cell.count = cell.value == nil ? 0 : 1
                if let items = itemColumns[Int32(position)]?[index], let interval = Bootstrap.interval(items) {
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
            let seed = axes[SweepSpec.seedAxis]
            let row = ResultsTable.Row(
                label: label, run: results.run.id, variants: [variant.name], seeds: seed.map { [$0] } ?? [],
                isReference: isReference(axes, ignoringSeed: false), cells: cells)
            let evidenced = EvidencedRow(
                row: row, items: itemColumns[Int32(position)] ?? Array(repeating: nil, count: columns.count),
                summaries: columns.indices.map { index in values[position * columns.count + index]?.value.flatMap { SeedSummary([$0]) } })
            // A setting is the variant's axes but its seed (each variant its own with --per-seed).
            let key =
                perSeed || seed == nil ? "\(position)" : order.filter { $0 != SweepSpec.seedAxis }.map { "\($0)=\(axes[$0] ?? "")" }.joined(separator: "\u{0}")
            if let index = settingIndex[key] {
                settings[index].variants.append(evidenced)
            } else {
                settingIndex[key] = settings.count
                settings.append((axes, order, [evidenced]))
            }
        }
        let rows = settings.map { setting -> EvidencedRow in
            let grouped = !perSeed && setting.axes[SweepSpec.seedAxis] != nil
            guard grouped else { return setting.variants[0] }
            let label = rowLabel(results.run.id, setting.axes, setting.order, withSeed: false, prefixed: prefixed)
            let isReference = isReference(setting.axes, ignoringSeed: true)
            guard setting.variants.count > 1 else {
                var only = setting.variants[0]
                only.row.label = label
                only.row.isReference = isReference
                return only
            }
            return aggregated(setting.variants, label: label, isReference: isReference, columns: columns)
        }
        return (rows, missing)
    }

    /// One row for the variants of a setting: per column the mean, standard deviation, n and 95%
    /// t-interval of the seeds that have a value; the seeds' rows kept beside it.
    private func aggregated(_ variants: [EvidencedRow], label: String, isReference: Bool, columns: [ResultsTable.Column]) -> EvidencedRow {
        var cells: [ResultsTable.Cell] = []
        var items: [[Double]?] = []
        var summaries: [SeedSummary?] = []
        for index in columns.indices {
            let present = variants.filter { $0.row.cells[index].value != nil }
            // Unscaled, as the tests need them; the cell shows them scaled.
            let summary = SeedSummary(present.compactMap { $0.summaries[index]?.mean })
            var cell = ResultsTable.Cell()
            if present.count == 1 {
                cell = present[0].row.cells[index]
            } else if let summary {
                let scale = columns[index].scale
                cell.value = summary.mean * scale
                cell.spread = summary.standardDeviation.map { $0 * scale }
                cell.count = summary.count
                cell.intervalMethod = .t
                cell.intervalLow = summary.interval.map { $0.low * scale }
                cell.intervalHigh = summary.interval.map { $0.high * scale }
            }
            cells.append(cell)
            summaries.append(summary)
            items.append(Self.meanByItem(present.map { $0.items[index] }))
        }
        let row = ResultsTable.Row(
            label: label, run: variants[0].row.run, variants: variants.flatMap(\.row.variants), seeds: variants.flatMap(\.row.seeds),
            isReference: isReference, cells: cells, perSeed: variants.map(\.row))
        return EvidencedRow(row: row, items: items, summaries: summaries)
    }

    /// The per-item values of the seeds averaged item by item, where every seed has them for
    /// the same number of items (the same evaluation set, in the same order); otherwise nil.
    private static func meanByItem(_ perSeed: [[Double]?]) -> [Double]? {
        let arrays = perSeed.compactMap { $0 }
        guard !arrays.isEmpty, arrays.count == perSeed.count, let count = arrays.first?.count, arrays.allSatisfy({ $0.count == count }) else { return nil }
        return (0..<count).map { item in arrays.reduce(0) { $0 + $1[item] } / Double(arrays.count) }
    }

    /// Every variant's per-item values of the chosen columns, by position.
    private func itemValues(_ results: RunResults, columns: [ResultsTable.Column]) -> [Int32: [[Double]?]] {
        let columnIndex = Dictionary(columns.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [Int32: [[Double]?]] = [:]
        for (position, byKey) in results.items {
            var perColumn = [[Double]?](repeating: nil, count: columns.count)
            for (key, values) in byKey {
                if let column = columnIndex[results.keys[Int(key)]] { perColumn[column] = values }
            }
            result[position] = perColumn
        }
        return result
    }

    /// Whether the variant or setting with these axis values is the report's reference; a row
    /// of aggregated seeds matches on its other axes.
    private func isReference(_ axes: [String: String], ignoringSeed: Bool) -> Bool {
        !report.reference.isEmpty && report.reference.allSatisfy { (ignoringSeed && $0.key == SweepSpec.seedAxis) || axes[$0.key] == $0.value }
    }

    /// The row's label: the spec's row labels where it gives them, else its sweep values as
    /// written (`model=meta-llama/Llama-2-7b-hf, lr=1e-4`), in the sweep's order; with or
    /// without the seed.
    private func rowLabel(_ run: String, _ axes: [String: String], _ order: [String], withSeed: Bool, prefixed: Bool) -> String {
        var parts: [String]
        if report.rowAxes.isEmpty {
            parts = order.filter { withSeed || $0 != SweepSpec.seedAxis }.compactMap { axis in axes[axis].map { "\(axis)=\($0)" } }
        } else {
            parts = report.rowAxes.compactMap { axis -> String? in
                guard let value = axes[axis] else { return nil }
                return report.rowLabels[axis]?[value] ?? "\(axis)=\(value)"
            }
            if withSeed, !report.rowAxes.contains(SweepSpec.seedAxis), let seed = axes[SweepSpec.seedAxis] {
                parts.append("\(SweepSpec.seedAxis)=\(seed)")
            }
        }
        let label = parts.filter { !$0.isEmpty }.joined(separator: ", ")
        let named = label.isEmpty ? "default" : label
        return prefixed ? "\(run): \(named)" : named
    }

    /// The variant's axes in the sweep's order, which its name keeps (`a=x,b=y`; values are
    /// sanitised there, so they hold no comma); axes the name lacks follow, sorted.
    static func axisOrder(of variant: VariantRow, axes: [String: String]) -> [String] {
        var order = variant.name.split(separator: ",").compactMap { part -> String? in
            guard let equals = part.firstIndex(of: "=") else { return nil }
            let axis = String(part[..<equals])
            return axes[axis] == nil ? nil : axis
        }
        order += axes.keys.filter { !order.contains($0) }.sorted()
        return order
    }
}
