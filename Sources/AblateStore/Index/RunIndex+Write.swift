import AblateCore
import Foundation
import GRDB

extension RunIndex {
    /// Writes a run's row and provenance, replacing what was there.
    public func record(run: RunRecord) throws {
        try writer.write { db in
            try Self.insertRun(run, db)
        }
    }

    /// Writes everything the tasks' files say, in one transaction, updating their rows in
    /// place: each task's row and attempts, its params the first time this index writes the
    /// task, its artifacts, and its metrics when they are given.
    public func record(tasks: [(TaskRecord, MetricsRecord?)], runID: String) throws {
        let paramsWritten = writtenParams.withLock { written in tasks.map { written.contains($0.0.id) } }
        try writer.write { db in
            for ((task, metrics), written) in zip(tasks, paramsWritten) {
                try Self.updateTask(task, metrics: metrics, runID: runID, params: !written, db)
            }
        }
        writtenParams.withLock { $0.formUnion(tasks.map(\.0.id)) }
    }

    /// Replaces the whole index with the given records (what `reindex` reads from the files).
    public func replaceAll(run: RunRecord, variants: [PlannedVariant], tasks: [(TaskRecord, MetricsRecord?)]) throws {
        try writer.write { db in
            // Deleting the runs cascades to every other table.
            try RunRow.deleteAll(db)
            try Self.insertRun(run, db)
            try Self.insertVariants(variants, runID: run.id, db)
            for (task, metrics) in tasks {
                try Self.updateTask(task, metrics: metrics, runID: run.id, params: true, db)
            }
        }
        writtenParams.withLock { $0.formUnion(tasks.map(\.0.id)) }
    }

    /// Starts a session that writes the run's files: returns whether the index held every
    /// change they record, and marks it as not holding them until `setComplete(true)`, so that
    /// a session that dies leaves an index the next one knows to rebuild.
    public func beginWriting() throws -> Bool {
        try writer.write { db in
            let complete = try Bool.fetchOne(db, sql: "SELECT complete FROM completeness WHERE id = 1") ?? false
            try Self.setComplete(false, db)
            return complete
        }
    }

    /// Records whether the index holds every change of the run's files.
    public func setComplete(_ complete: Bool) throws {
        try writer.write { db in try Self.setComplete(complete, db) }
    }

    private static func setComplete(_ complete: Bool, _ db: Database) throws {
        try db.execute(sql: "UPDATE completeness SET complete = ? WHERE id = 1", arguments: [complete])
    }

    /// Removes the rows of the run's tasks that are not among `keeping` (tasks an edited spec
    /// left out), with everything recorded about them.
    public func removeTasks(notIn keeping: Set<String>, runID: String) throws {
        try writer.write { db in
            let indexed = try String.fetchAll(db, sql: "SELECT taskId FROM task WHERE runId = ?", arguments: [runID])
            let delete = try db.cachedStatement(sql: "DELETE FROM task WHERE runId = ? AND taskId = ?")
            for id in indexed where !keeping.contains(id) { try delete.execute(arguments: [runID, id]) }
        }
    }

    /// Writes the run's variants and which task plays each of their stages.
    public func record(variants: [PlannedVariant], runID: String) throws {
        try writer.write { db in try Self.insertVariants(variants, runID: runID, db) }
    }

    private static func insertVariants(_ variants: [PlannedVariant], runID: String, _ db: Database) throws {
        try VariantRow.filter(Column("runId") == runID).deleteAll(db)
        let insertVariant = try db.cachedStatement(sql: "INSERT INTO variant (runId, name, position, axisValues) VALUES (?, ?, ?, ?)")
        let insertEntry = try db.cachedStatement(sql: "INSERT INTO variantTask (runId, variant, stage, taskId) VALUES (?, ?, ?, ?)")
        for (position, variant) in variants.enumerated() {
            let values = Dictionary(variant.values.map { ($0.axis, $0.value) }, uniquingKeysWith: { first, _ in first })
            // Written by hand, keys sorted: a JSONEncoder for each of a sweep's variants was half
            // of the time the run took to index them.
            var json = JSONText(reservingCapacity: 64)
            try json.object(values) { json, value in try value.write(to: &json) }
            try insertVariant.execute(arguments: [runID, variant.name, position, String(decoding: json.bytes, as: UTF8.self)])
            for entry in variant.tasks { try insertEntry.execute(arguments: [runID, variant.name, entry.stage, entry.task]) }
        }
    }

    private static func insertRun(_ run: RunRecord, _ db: Database) throws {
        try RunRow(
            id: run.id, study: run.study, specFile: run.specFile, state: run.state, createdAt: run.createdAt,
            endedAt: run.endedAt, pid: run.pid, heartbeatAt: run.heartbeatAt, executor: run.executor.kind
        ).upsert(db)
        try ProvenanceRow.filter(Column("runId") == run.id).deleteAll(db)
        for (key, value) in provenanceFacts(run.provenance) {
            try ProvenanceRow(runId: run.id, key: key, value: value).insert(db)
        }
    }

    private static func provenanceFacts(_ provenance: Provenance) -> [(String, String)] {
        var facts: [(String, String)] = [
            ("host", provenance.host), ("ablateVersion", provenance.ablateVersion),
            ("environmentFingerprint", provenance.environmentFingerprint),
        ]
        if let commit = provenance.gitCommit { facts.append(("gitCommit", commit)) }
        if let dirty = provenance.gitDirty { facts.append(("gitDirty", dirty ? "true" : "false")) }
        for (tool, version) in provenance.toolVersions { facts.append(("tool:" + tool, version)) }
        return facts
    }

    /// The task's row and attempts upserted, its artifacts replaced, its params written when
    /// `params`, its metrics replaced when given: no delete cascades through five tables, and
    /// each statement is compiled once per connection.
    private static func updateTask(_ task: TaskRecord, metrics: MetricsRecord?, runID: String, params: Bool, _ db: Database) throws {
        try db.cachedStatement(sql: upsertTaskSQL).execute(arguments: [
            runID, task.id, task.stage, task.kind, task.fingerprint.value, task.state, task.attempts.count,
            task.attempts.first?.startedAt, task.lastAttempt?.endedAt, task.lastAttempt?.exitCode, task.cachedFrom?.run,
            task.cachedFrom?.task, task.reason,
        ])
        let upsertAttempt = try db.cachedStatement(sql: upsertAttemptSQL)
        for attempt in task.attempts {
            try upsertAttempt.execute(arguments: [
                runID, task.id, attempt.number, attempt.state, attempt.startedAt, attempt.endedAt, attempt.pid, attempt.jobID,
                attempt.exitCode, attempt.signal, attempt.timedOut, attempt.gpus,
            ])
        }
        let key: StatementArguments = [runID, task.id]
        if params {
            try db.cachedStatement(sql: "DELETE FROM param WHERE runId = ? AND taskId = ?").execute(arguments: key)
            let insert = try db.cachedStatement(sql: "INSERT INTO param (runId, taskId, name, value) VALUES (?, ?, ?, ?)")
            for (name, value) in flattened(task.settings) { try insert.execute(arguments: [runID, task.id, name, value]) }
        }
        try db.cachedStatement(sql: "DELETE FROM artifact WHERE runId = ? AND taskId = ?").execute(arguments: key)
        if !task.outputs.isEmpty {
            let insert = try db.cachedStatement(sql: "INSERT INTO artifact (runId, taskId, name, path) VALUES (?, ?, ?, ?)")
            for (name, path) in task.outputs { try insert.execute(arguments: [runID, task.id, name, path]) }
        }
        guard let metrics else { return }
        for table in ["metric", "metricItem", "metricPoint"] {
            try db.cachedStatement(sql: "DELETE FROM \(table) WHERE runId = ? AND taskId = ?").execute(arguments: key)
        }
        if !metrics.scalars.isEmpty {
            let insert = try db.cachedStatement(sql: "INSERT INTO metric (runId, taskId, name, value, stderr) VALUES (?, ?, ?, ?, ?)")
            for (name, scalar) in metrics.scalars { try insert.execute(arguments: [runID, task.id, name, scalar.value, scalar.stderr]) }
        }
        if !metrics.items.isEmpty {
            let insert = try db.cachedStatement(sql: "INSERT INTO metricItem (runId, taskId, name, position, value) VALUES (?, ?, ?, ?, ?)")
            for (name, values) in metrics.items {
                for (position, value) in values.enumerated() { try insert.execute(arguments: [runID, task.id, name, position, value]) }
            }
        }
        if !metrics.series.isEmpty {
            let upsert = try db.cachedStatement(
                sql: "INSERT INTO metricPoint (runId, taskId, name, step, value) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET value = excluded.value")
            for (name, points) in metrics.series {
                for point in points { try upsert.execute(arguments: [runID, task.id, name, point.step, point.value]) }
            }
        }
    }

    // A task is written at each change of its state: its rows are upserted by statements
    // compiled once per connection (a record's upsert builds and authorises its statement anew).
    private static let upsertTaskSQL = """
        INSERT INTO task (runId, taskId, stage, kind, fingerprint, state, attempts, startedAt, endedAt, exitCode,
            cachedFromRun, cachedFromTask, reason)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (runId, taskId) DO UPDATE SET stage = excluded.stage, kind = excluded.kind,
            fingerprint = excluded.fingerprint, state = excluded.state, attempts = excluded.attempts,
            startedAt = excluded.startedAt, endedAt = excluded.endedAt, exitCode = excluded.exitCode,
            cachedFromRun = excluded.cachedFromRun, cachedFromTask = excluded.cachedFromTask, reason = excluded.reason
        """
    private static let upsertAttemptSQL = """
        INSERT INTO attempt (runId, taskId, number, state, startedAt, endedAt, pid, jobId, exitCode, signal, timedOut, gpus)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (runId, taskId, number) DO UPDATE SET state = excluded.state, startedAt = excluded.startedAt,
            endedAt = excluded.endedAt, pid = excluded.pid, jobId = excluded.jobId, exitCode = excluded.exitCode,
            signal = excluded.signal, timedOut = excluded.timedOut, gpus = excluded.gpus
        """

    /// `lora: {r: 8}` becomes `lora.r = 8`; lists become comma-separated text.
    public static func flattened(_ settings: [String: SettingValue], prefix: String = "") -> [(String, String)] {
        settings.keys.sorted().flatMap { key -> [(String, String)] in
            guard let value = settings[key] else { return [] }
            if case .map(let nested) = value { return flattened(nested, prefix: prefix + key + ".") }
            return [(prefix + key, value.text)]
        }
    }
}
