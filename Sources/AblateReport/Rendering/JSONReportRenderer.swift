import Foundation

/// The results as JSON, for programs: columns, rows with every cell (null when missing) and
/// the rows of their seeds, the legend, what is missing, what differs between runs, and each
/// run's compute (in total, by stage and by task).
public struct JSONReportRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) throws -> String {
        let object: [String: Any] = [
            "title": table.title,
            "runs": table.runs,
            "columns": table.columns.map { ["key": $0.key, "label": $0.label, "scale": $0.scale, "higherIsBetter": $0.higherIsBetter] },
            "rows": table.rows.map { rowObject($0, columns: table.columns) },
            "legend": table.legend.map(\.text),
            "missing": table.missing,
            "configDifferences": table.configDifferences.map { ["key": $0.key, "values": $0.values] },
            "costs": table.costs.map(costObject),
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private func rowObject(_ row: ResultsTable.Row, columns: [ResultsTable.Column]) -> [String: Any] {
        [
            "run": row.run, "variants": row.variants, "seeds": row.seeds, "label": row.label, "reference": row.isReference,
            "cells": zip(columns, row.cells).map { column, cell -> [String: Any] in
                let comparison: Any =
                    cell.comparison.map { comparison -> [String: Any] in
                        ["test": comparison.test.rawValue, "p": comparison.p, "pHolm": comparison.adjustedP, "significant": comparison.isSignificant]
                    } ?? (cell.isUntestable ? "untestable" : NSNull())
                return [
                    "key": column.key, "value": optional(cell.value), "sd": optional(cell.spread), "n": cell.count, "stderr": optional(cell.stderr),
                    "delta": optional(cell.delta), "best": cell.isBest, "ciLow": optional(cell.intervalLow), "ciHigh": optional(cell.intervalHigh),
                    "ciMethod": cell.intervalLow == nil ? NSNull() : cell.intervalMethod.rawValue,
                    "comparison": comparison,
                ]
            },
            "perSeed": row.perSeed.map { rowObject($0, columns: columns) },
        ]
    }

    private func costObject(_ cost: ResultsTable.RunCost) -> [String: Any] {
        func line(_ line: ResultsTable.CostLine) -> [String: Any] {
            [
                "name": line.name, "attempts": line.attempts, "unsuccessfulAttempts": line.unsuccessfulAttempts, "hours": line.hours,
                "gpuHours": line.gpuHours, "price": optional(line.price(cost.gpuHourPrice)),
            ]
        }
        return [
            "run": cost.run, "gpuHourPrice": optional(cost.gpuHourPrice), "total": line(cost.total), "stages": cost.stages.map(line),
            "tasks": cost.tasks.map(line),
        ]
    }

    private func optional(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
}
