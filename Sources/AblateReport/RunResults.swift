import AblateStore
import Foundation
import GRDB
import GRDBSQLite

/// What one run's index says about its results: variants, the task of each stage, task
/// states, metrics and params.
public struct RunResults: Sendable {
    /// A metric of a task.
    public struct Metric: Sendable, Hashable {
        public var name: String
        public var value: Double?
        public var stderr: Double?
    }

    public var run: RunRow
    public var variants: [VariantRow]
    /// Variant name → axis → value text.
    public var axisValues: [String: [String: String]]
    /// Variant name → stage → task id.
    public var stageTasks: [String: [String: String]]
    public var tasks: [String: TaskRow]
    /// By variant position: `stage/metric` → the metric of the variant's task for that stage.
    public var values: [[String: Metric]]
    /// Task id → param name → value.
    public var params: [String: [String: String]]
    /// Task id → series name → points (loaded only for charts).
    public var series: [String: [String: [(step: Int, value: Double)]]]

    /// Reads a run's index (`ablate reindex` rebuilds it if it is missing).
    public static func load(runDirectory: String, series includeSeries: Bool = false) throws -> RunResults {
        let path = runDirectory + "/index.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ReportError.noIndex(runDirectory) }
        let index = try RunIndex(path: path)
        return try index.writer.read { db in
            guard let run = try RunRow.fetchOne(db) else { throw ReportError.noIndex(runDirectory) }
            var stageTasks: [String: [String: String]] = [:]
            let taskRows = try Row.fetchCursor(db, sql: "SELECT variant, stage, taskId FROM variantTask")
            while let row = try taskRows.next() {
                stageTasks[row[0], default: [:]][row[1]] = row[2]
            }
            let variants = try VariantRow.order(Column("position")).fetchAll(db)
            let values = try variantValues(db, count: variants.count)
            var params: [String: [String: String]] = [:]
            let paramRows = try Row.fetchCursor(db, sql: "SELECT taskId, name, value FROM param")
            while let row = try paramRows.next() {
                params[row[0], default: [:]][row[1]] = row[2]
            }
            var series: [String: [String: [(step: Int, value: Double)]]] = [:]
            if includeSeries {
                let points = try Row.fetchCursor(db, sql: "SELECT taskId, name, step, value FROM metricPoint WHERE value IS NOT NULL ORDER BY step")
                while let row = try points.next() {
                    series[row[0], default: [:]][row[1], default: []].append((row[2], row[3]))
                }
            }
            let tasks = Dictionary(try TaskRow.fetchAll(db).map { ($0.taskId, $0) }, uniquingKeysWith: { first, _ in first })
            let axisValues = Dictionary(variants.map { ($0.name, Self.parseAxisValues($0.axisValues)) }, uniquingKeysWith: { first, _ in first })
            return RunResults(
                run: run, variants: variants, axisValues: axisValues, stageTasks: stageTasks, tasks: tasks, values: values, params: params,
                series: series)
        }
    }

    /// Every metric of every variant, joined in SQLite and read column by column: a report
    /// over a hundred runs reads millions of values, and row objects per value cost seconds.
    private static func variantValues(_ db: Database, count: Int) throws -> [[String: Metric]] {
        var values = [[String: Metric]](repeating: [:], count: count)
        let statement = try db.makeStatement(
            sql: """
                SELECT v.position, vt.stage || '/' || m.name, m.value, m.stderr
                FROM variantTask vt
                JOIN variant v ON v.runId = vt.runId AND v.name = vt.variant
                JOIN metric m ON m.runId = vt.runId AND m.taskId = vt.taskId
                """)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            let position = Int(sqlite3_column_int64(raw, 0))
            guard position >= 0, position < count, let text = sqlite3_column_text(raw, 1) else { continue }
            let key = String(cString: text)
            let value: Double? = sqlite3_column_type(raw, 2) == SQLITE_NULL ? nil : sqlite3_column_double(raw, 2)
            let stderr: Double? = sqlite3_column_type(raw, 3) == SQLITE_NULL ? nil : sqlite3_column_double(raw, 3)
            values[position][key] = Metric(name: key, value: value, stderr: stderr)
        }
        return values
    }

    /// A variant's axis values.
    public func axisValues(of variant: VariantRow) -> [String: String] {
        axisValues[variant.name] ?? [:]
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
