import Foundation

/// The results as JSON, for programs: columns, rows with every cell (null when missing),
/// what is missing and what differs between runs.
public struct JSONReportRenderer: Sendable {
    public init() {}

    public func render(_ table: ResultsTable) throws -> String {
        func optional(_ value: Double?) -> Any { value.map { $0 as Any } ?? NSNull() }
        let object: [String: Any] = [
            "title": table.title,
            "runs": table.runs,
            "columns": table.columns.map { ["key": $0.key, "label": $0.label, "scale": $0.scale, "higherIsBetter": $0.higherIsBetter] },
            "rows": table.rows.map { row -> [String: Any] in
                [
                    "run": row.run, "variant": row.variant, "label": row.label, "reference": row.isReference,
                    "cells": zip(table.columns, row.cells).map { column, cell -> [String: Any] in
                        [
                            "key": column.key, "value": optional(cell.value), "stderr": optional(cell.stderr), "delta": optional(cell.delta),
                            "best": cell.isBest, "ciLow": optional(cell.intervalLow), "ciHigh": optional(cell.intervalHigh),
                        ]
                    },
                ]
            },
            "missing": table.missing,
            "configDifferences": table.configDifferences.map { ["key": $0.key, "values": $0.values] },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
