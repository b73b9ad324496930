import Foundation
import GRDB

extension RunIndex {
    public func run() throws -> RunRow? {
        try writer.read { db in try RunRow.fetchOne(db) }
    }

    public func tasks() throws -> [TaskRow] {
        try writer.read { db in try TaskRow.order(TaskRow.Columns.taskId).fetchAll(db) }
    }

    public func metrics() throws -> [MetricRow] {
        try writer.read { db in try MetricRow.order(Column("taskId"), MetricRow.Columns.name).fetchAll(db) }
    }

    /// Every row of every table, sorted, one line each: two indexes with the same dump hold
    /// the same facts (used to prove that `reindex` rebuilds the live index exactly).
    public func dump() throws -> String {
        try writer.read { db in
            var lines: [String] = []
            for table in ["run", "provenance", "task", "attempt", "param", "metric", "metricPoint", "artifact", "variant", "variantTask", "metricItem"] {
                let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table)")
                lines += rows.map { "\(table) \($0.description)" }.sorted()
            }
            return lines.joined(separator: "\n")
        }
    }
}
