import Foundation
import GRDB
import GRDBSQLite

/// What one run's index says about its results: variants, the task of each stage, task
/// states, metrics and params, read in bulk by `read(_:series:)` — the one reader of the index
/// besides its records, kept here beside the schema it reads.
public struct RunResults: Sendable {
    /// A metric's value and standard error for one variant.
    public struct Metric: Sendable, Hashable {
        public var value: Double?
        public var stderr: Double?

        public init(value: Double?, stderr: Double?) {
            self.value = value
            self.stderr = stderr
        }
    }

    public var run: RunRow
    public var variants: [VariantRow]
    /// Variant name → stage → task id.
    public var stageTasks: [String: [String: String]]
    /// Task id → its stage and state.
    public var tasks: [String: (stage: String, state: TaskRecord.State)]
    /// Every `stage/metric` the run's variants have.
    public var metricKeys: Set<String> { Set(keys) }
    /// The distinct `stage/metric` names, numbered in the order met.
    public var keys: [String]
    /// Every value of every variant, with its key as a number into `keys`: compact, so that
    /// a hundred runs' millions of values fit in little memory.
    public var entries: [Entry]

    /// Per-item values by variant position and key number (only variants that have any).
    public var items: [Int32: [Int32: [Double]]]

    /// One value of a variant; NaN stands for a missing value or standard error.
    public struct Entry: Sendable {
        public var position: Int32
        public var key: Int32
        public var value: Double
        public var stderr: Double

        public init(position: Int32, key: Int32, value: Double, stderr: Double) {
            self.position = position
            self.key = key
            self.value = value
            self.stderr = stderr
        }
    }
    /// Task id → param name → value.
    public var params: [String: [String: String]]
    /// Task id → series name → points (loaded only for charts).
    public var series: [String: [String: [(step: Int, value: Double)]]]
    /// Task id → what its attempts in this run cost (tasks taken from the cache made none).
    public var costs: [String: TaskCost]

    /// What a task's attempts in one run cost: every attempt that ended, failed ones included.
    public struct TaskCost: Sendable, Hashable {
        public var attempts: Int
        /// Attempts that did not complete (failed, timed out, interrupted).
        public var unsuccessfulAttempts: Int
        /// Wall-clock seconds of the attempts.
        public var seconds: Double
        /// Seconds × the GPUs each attempt held.
        public var gpuSeconds: Double

        public init(attempts: Int, unsuccessfulAttempts: Int, seconds: Double, gpuSeconds: Double) {
            self.attempts = attempts
            self.unsuccessfulAttempts = unsuccessfulAttempts
            self.seconds = seconds
            self.gpuSeconds = gpuSeconds
        }
    }

    public init(
        run: RunRow, variants: [VariantRow], stageTasks: [String: [String: String]], tasks: [String: (stage: String, state: TaskRecord.State)],
        keys: [String], entries: [Entry], items: [Int32: [Int32: [Double]]], params: [String: [String: String]],
        series: [String: [String: [(step: Int, value: Double)]]], costs: [String: TaskCost] = [:]
    ) {
        self.run = run
        self.variants = variants
        self.stageTasks = stageTasks
        self.tasks = tasks
        self.keys = keys
        self.entries = entries
        self.items = items
        self.params = params
        self.series = series
        self.costs = costs
    }

    /// Reads a run's index: all of it, or without the metric series (what tables need).
    public static func read(_ layout: RunLayout, series includeSeries: Bool) throws -> RunResults {
        let index = try layout.openIndexForReading()
        do {
            return try read(index, layout: layout, series: includeSeries)
        } catch let error as DatabaseError {
            throw RunStoreError.damagedIndex(path: layout.index, cause: "\(error)")
        }
    }

    private static func read(_ index: RunIndex, layout: RunLayout, series includeSeries: Bool) throws -> RunResults {
        try index.writer.read { db in
            guard let run = try RunRow.fetchOne(db) else { throw RunStoreError.damagedIndex(path: layout.index, cause: "it holds no run") }
            var stageTasks: [String: [String: String]] = [:]
            try forEachRow(db, sql: "SELECT variant, stage, taskId FROM variantTask") { columns in
                stageTasks[columns[0], default: [:]][columns[1]] = columns[2]
            }
            var variants: [VariantRow] = []
            try forEachRow(db, sql: "SELECT runId, name, position, axisValues FROM variant ORDER BY position") { columns in
                variants.append(VariantRow(runId: columns[0], name: columns[1], position: Int(columns[2]) ?? variants.count, axisValues: columns[3]))
            }
            var (keys, entries) = try readValues(db, variants: variants, stageTasks: stageTasks)
            let items = try readItems(db, keys: &keys)
            var params: [String: [String: String]] = [:]
            try forEachRow(db, sql: "SELECT taskId, name, value FROM param") { columns in params[columns[0], default: [:]][columns[1]] = columns[2] }
            var series: [String: [String: [(step: Int, value: Double)]]] = [:]
            if includeSeries {
                let points = try Row.fetchCursor(db, sql: "SELECT taskId, name, step, value FROM metricPoint WHERE value IS NOT NULL ORDER BY step")
                while let row = try points.next() {
                    series[row[0], default: [:]][row[1], default: []].append((row[2], row[3]))
                }
            }
            var tasks: [String: (stage: String, state: TaskRecord.State)] = [:]
            var unknownState: String?
            try forEachRow(db, sql: "SELECT taskId, stage, state FROM task") { columns in
                if let state = TaskRecord.State(rawValue: columns[2]) { tasks[columns[0]] = (columns[1], state) } else { unknownState = columns[2] }
            }
            if let unknownState { throw RunStoreError.damagedIndex(path: layout.index, cause: "a task in the unknown state '\(unknownState)'") }
            return RunResults(
                run: run, variants: variants, stageTasks: stageTasks, tasks: tasks, keys: keys, entries: entries, items: items,
                params: params, series: series, costs: try readCosts(db))
        }
    }

    /// Every metric of every variant, joined in SQLite and read column by column: a report
    /// over a hundred runs reads millions of values, and an object per value would cost seconds.
    private static func readValues(
        _ db: Database, variants: [VariantRow], stageTasks: [String: [String: String]]
    ) throws -> ([String], [Entry]) {
        // Which variants (by position) read each task, and as which stage: the join is done
        // here, on a thousand rows, instead of in SQL for every metric row.
        var readers: [String: [(position: Int32, stage: String)]] = [:]
        for variant in variants {
            for (stage, taskID) in stageTasks[variant.name] ?? [:] {
                readers[taskID, default: []].append((Int32(truncatingIfNeeded: variant.position), stage))
            }
        }
        var keys: [String] = []
        var keyNumbers: [String: [String: Int32]] = [:]  // stage → metric name → key number
        var entries: [Entry] = []
        let statement = try db.makeStatement(sql: "SELECT taskId, name, value, stderr FROM metric")
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        // Rows come in primary-key order, task by task and by name within a task, so the task
        // changes rarely and the n-th name of a task is usually the n-th name of the one before:
        // comparing bytes with those saves making a string and hashing it for each of the rows.
        var lastTask: [CChar] = [0]
        var lastReaders: [(position: Int32, stage: String)] = []
        var rowInTask = 0
        var recentNames: [RecentName] = []
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { break }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            guard let taskText = sqlite3_column_text(raw, 0), let nameText = sqlite3_column_text(raw, 1) else { continue }
            let taskBytes = UnsafeRawPointer(taskText).assumingMemoryBound(to: CChar.self)
            if strcmp(taskBytes, lastTask) != 0 {
                lastTask = Array(UnsafeBufferPointer(start: taskBytes, count: strlen(taskBytes) + 1))
                lastReaders = readers[String(cString: taskBytes)] ?? []
                rowInTask = 0
            } else {
                rowInTask += 1
            }
            guard !lastReaders.isEmpty else { continue }
            let nameBytes = UnsafeRawPointer(nameText).assumingMemoryBound(to: CChar.self)
            if rowInTask >= recentNames.count || strcmp(nameBytes, recentNames[rowInTask].bytes) != 0 {
                let saved = RecentName(bytes: Array(UnsafeBufferPointer(start: nameBytes, count: strlen(nameBytes) + 1)), name: String(cString: nameBytes))
                if rowInTask < recentNames.count { recentNames[rowInTask] = saved } else { recentNames.append(saved) }
            }
            let name = recentNames[rowInTask].name
            // NaN stands for a missing value inside the compact entries.
            let value = sqlite3_column_type(raw, 2) == SQLITE_NULL ? Double.nan : sqlite3_column_double(raw, 2)
            let stderr = sqlite3_column_type(raw, 3) == SQLITE_NULL ? Double.nan : sqlite3_column_double(raw, 3)
            for reader in lastReaders {
                let number: Int32
                if let (stage, known) = recentNames[rowInTask].key, stage == reader.stage {
                    number = known
                } else if let known = keyNumbers[reader.stage]?[name] {
                    number = known
                    recentNames[rowInTask].key = (reader.stage, known)
                } else {
                    number = Int32(keys.count)
                    keyNumbers[reader.stage, default: [:]][name] = number
                    keys.append(reader.stage + "/" + name)
                }
                entries.append(Entry(position: reader.position, key: number, value: value, stderr: stderr))
            }
        }
        return (keys, entries)
    }

    /// What each task's ended attempts took: wall-clock seconds, and seconds × GPUs (an attempt
    /// recorded before attempts counted their GPUs counts none).
    private static func readCosts(_ db: Database) throws -> [String: TaskCost] {
        var costs: [String: TaskCost] = [:]
        let seconds = "(julianday(endedAt) - julianday(startedAt)) * 86400.0"
        try forEachRow(
            db,
            sql: """
                SELECT taskId, COUNT(*), SUM(state <> 'completed'), SUM(\(seconds)), SUM(\(seconds) * COALESCE(gpus, 0))
                FROM attempt WHERE endedAt IS NOT NULL GROUP BY taskId
                """
        ) { columns in
            costs[columns[0]] = TaskCost(
                attempts: Int(columns[1]) ?? 0, unsuccessfulAttempts: Int(columns[2]) ?? 0, seconds: max(Double(columns[3]) ?? 0, 0),
                gpuSeconds: max(Double(columns[4]) ?? 0, 0))
        }
        return costs
    }

    /// A metric name met at some row of a task, with the key it had for the last stage.
    private struct RecentName {
        var bytes: [CChar]
        var name: String
        var key: (stage: String, number: Int32)?
    }

    /// The per-item values of every variant, numbered by the same keys.
    private static func readItems(_ db: Database, keys: inout [String]) throws -> [Int32: [Int32: [Double]]] {
        var items: [Int32: [Int32: [Double]]] = [:]
        var keyNumbers = Dictionary(keys.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        try forEachRow(
            db,
            sql: """
                SELECT v.position, vt.stage || '/' || mi.name, mi.value
                FROM variantTask vt
                JOIN variant v ON v.runId = vt.runId AND v.name = vt.variant
                JOIN metricItem mi ON mi.runId = vt.runId AND mi.taskId = vt.taskId
                ORDER BY v.position, mi.name, mi.position
                """
        ) { columns in
            guard let position = Int32(columns[0]), let value = Double(columns[2]) else { return }
            let number: Int32
            if let known = keyNumbers[columns[1]] {
                number = known
            } else {
                number = Int32(keys.count)
                keyNumbers[columns[1]] = number
                keys.append(columns[1])
            }
            items[position, default: [:]][number, default: []].append(value)
        }
        return items
    }

    /// Calls `body` with the text of each row's columns, read straight from SQLite.
    private static func forEachRow(_ db: Database, sql: String, _ body: ([String]) -> Void) throws {
        let statement = try db.makeStatement(sql: sql)
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        let count = sqlite3_column_count(raw)
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: code)) }
            body((0..<count).map { column in sqlite3_column_text(raw, column).map { String(cString: $0) } ?? "" })
        }
    }
}
