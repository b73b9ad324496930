import Foundation

extension ResultsTableBuilder {
    /// Each cell of the other rows against the reference row's: its delta, and its test — a
    /// paired bootstrap where both have per-item values for the same items, Welch's t-test where
    /// both have two seeds or more, none otherwise — Holm-corrected over all of them.
    func compareWithReference(_ rows: inout [EvidencedRow]) {
        guard let referenceIndex = rows.firstIndex(where: \.row.isReference) else { return }
        let reference = rows[referenceIndex]
        var tested: [(row: Int, column: Int, test: ResultsTable.Comparison.Test)] = []
        // A bootstrap's pairs, or Welch's p-value, computed at once.
        var pending: [(items: [Double], reference: [Double])?] = []
        var welchP: [Double] = []
        for rowIndex in rows.indices where rowIndex != referenceIndex {
            for column in reference.row.cells.indices {
                guard let value = rows[rowIndex].row.cells[column].value, let base = reference.row.cells[column].value else { continue }
                rows[rowIndex].row.cells[column].delta = value - base
                if let items = rows[rowIndex].items[column], let referenceItems = reference.items[column], items.count == referenceItems.count,
                    items.count >= 2
                {
                    tested.append((rowIndex, column, .pairedBootstrap))
                    pending.append((items, referenceItems))
                    welchP.append(.nan)
                } else if let summary = rows[rowIndex].summaries[column], let referenceSummary = reference.summaries[column],
                    let welch = Significance.welch(summary, referenceSummary)
                {
                    tested.append((rowIndex, column, .welch))
                    pending.append(nil)
                    welchP.append(welch.p)
                } else {
                    rows[rowIndex].row.cells[column].isUntestable = true
                }
            }
        }
        // The bootstraps are the one costly part of a report: on every core.
        let bootstrapP = pending.parallelMap(chunkSize: 1) { pairs in pairs.flatMap { Significance.pairedBootstrapP($0.items, $0.reference) } ?? .nan }
        let pValues = zip(bootstrapP, welchP).map { $0.isNaN ? $1 : $0 }
        for (comparison, adjusted) in zip(zip(tested, pValues), Significance.holm(pValues)) {
            let (place, p) = comparison
            rows[place.row].row.cells[place.column].comparison = ResultsTable.Comparison(test: place.test, p: p, adjustedP: adjusted)
        }
    }

    /// Marks the best value of each column that has at least two different values: one pass
    /// to find them, one to mark them.
    func markBest(_ table: inout ResultsTable) {
        let columns = table.columns
        var best = [Double?](repeating: nil, count: columns.count)
        var counts = [Int](repeating: 0, count: columns.count)
        var lowest = [Double](repeating: .infinity, count: columns.count)
        var highest = [Double](repeating: -.infinity, count: columns.count)
        for row in table.rows {
            for (index, cell) in row.cells.enumerated() {
                guard let value = cell.value else { continue }
                counts[index] += 1
                lowest[index] = min(lowest[index], value)
                highest[index] = max(highest[index], value)
                if let current = best[index], columns[index].higherIsBetter ? value <= current : value >= current { continue }
                best[index] = value
            }
        }
        // One value, or every row alike (a column of zeros): nothing is best.
        for index in columns.indices where counts[index] < 2 || lowest[index] == highest[index] { best[index] = nil }
        for rowIndex in table.rows.indices {
            for index in columns.indices where best[index] != nil && table.rows[rowIndex].cells[index].value == best[index] {
                table.rows[rowIndex].cells[index].isBest = true
            }
        }
    }

    /// What the table's spreads, intervals and marks mean: only the entries its cells need.
    func legend(_ table: ResultsTable) -> [ResultsTable.LegendEntry] {
        let cells = table.rows.flatMap(\.cells)
        var entries: [ResultsTable.LegendEntry] = []
        if cells.contains(where: { $0.intervalMethod == .t }) { entries.append(.seedsAggregated) }
        if cells.contains(where: { $0.intervalMethod == .bootstrap && $0.intervalLow != nil }) { entries.append(.bootstrapIntervals) }
        let comparisons = cells.filter { $0.comparison != nil }.count
        if comparisons > 0 { entries.append(.significance(comparisons: comparisons)) }
        if cells.contains(where: \.isUntestable) { entries.append(.untestable) }
        return entries
    }
}
