import Foundation
import GRDB

extension RunIndex {
    public func run() throws -> RunRow? {
        try writer.read { db in try RunRow.fetchOne(db) }
    }

    /// The fingerprint of each task whose outputs are done (completed or cached), by task id:
    /// what a resume with nothing to do compares with its plan, read without the rest of the rows.
    public func doneFingerprints() throws -> [String: String] {
        let done = TaskRecord.State.allCases.filter(\.isDone).map(\.rawValue)
        let sql = "SELECT taskId, fingerprint FROM task WHERE state IN (\(done.map { _ in "?" }.joined(separator: ", ")))"
        return try writer.read { db in
            var fingerprints: [String: String] = [:]
            let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(done))
            while let row = try rows.next() { fingerprints[row[0]] = row[1] }
            return fingerprints
        }
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
