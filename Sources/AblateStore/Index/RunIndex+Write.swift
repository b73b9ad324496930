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

    /// Writes everything a task's files say: its row, attempts, params, metrics and
    /// artifacts, in one transaction.
    public func record(task: TaskRecord, metrics: MetricsRecord?, runID: String) throws {
        try writer.write { db in
            try Self.insertTask(task, metrics: metrics, runID: runID, db)
        }
    }

    /// Replaces the whole index with the given records (what `reindex` reads from the files).
    public func replaceAll(run: RunRecord, variants: [PlannedVariant], tasks: [(TaskRecord, MetricsRecord?)]) throws {
        try writer.write { db in
            try RunRow.deleteAll(db)
            try Self.insertRun(run, db)
            try Self.insertVariants(variants, runID: run.id, db)
            for (task, metrics) in tasks {
                try Self.insertTask(task, metrics: metrics, runID: run.id, db)
            }
        }
    }

    /// Writes the run's variants and which task plays each of their stages.
    public func record(variants: [PlannedVariant], runID: String) throws {
        try writer.write { db in try Self.insertVariants(variants, runID: runID, db) }
    }

    private static func insertVariants(_ variants: [PlannedVariant], runID: String, _ db: Database) throws {
        try VariantRow.filter(Column("runId") == runID).deleteAll(db)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        for (position, variant) in variants.enumerated() {
            let values = Dictionary(variant.values.map { ($0.axis, $0.value) }, uniquingKeysWith: { first, _ in first })
            let json = String(decoding: try encoder.encode(values), as: UTF8.self)
            try VariantRow(runId: runID, name: variant.name, position: position, axisValues: json).insert(db)
            for entry in variant.tasks {
                try VariantTaskRow(runId: runID, variant: variant.name, stage: entry.stage, taskId: entry.task).insert(db)
            }
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

    private static func insertTask(_ task: TaskRecord, metrics: MetricsRecord?, runID: String, _ db: Database) throws {
        // Deleting the task row cascades to its attempts, params, metrics and artifacts.
        try TaskRow.filter(TaskRow.Columns.runId == runID && TaskRow.Columns.taskId == task.id).deleteAll(db)
        try TaskRow(
            runId: runID, taskId: task.id, stage: task.stage, kind: task.kind, fingerprint: task.fingerprint.value,
            state: task.state, attempts: task.attempts.count, startedAt: task.attempts.first?.startedAt,
            endedAt: task.lastAttempt?.endedAt, exitCode: task.lastAttempt?.exitCode, cachedFromRun: task.cachedFrom?.run,
            cachedFromTask: task.cachedFrom?.task, reason: task.reason
        ).insert(db)
        for attempt in task.attempts {
            try AttemptRow(
                runId: runID, taskId: task.id, number: attempt.number, state: attempt.state, startedAt: attempt.startedAt,
                endedAt: attempt.endedAt, pid: attempt.pid, jobId: attempt.jobID, exitCode: attempt.exitCode, signal: attempt.signal,
                timedOut: attempt.timedOut,
                gpus: attempt.gpus
            ).insert(db)
        }
        for (name, value) in flattened(task.settings) {
            try ParamRow(runId: runID, taskId: task.id, name: name, value: value).insert(db)
        }
        for (name, path) in task.outputs {
            try ArtifactRow(runId: runID, taskId: task.id, name: name, path: path).insert(db)
        }
        guard let metrics else { return }
        for (name, scalar) in metrics.scalars {
            try MetricRow(runId: runID, taskId: task.id, name: name, value: scalar.value, stderr: scalar.stderr).insert(db)
        }
        for (name, values) in metrics.items {
            let statement = try db.cachedStatement(sql: "INSERT INTO metricItem (runId, taskId, name, position, value) VALUES (?, ?, ?, ?, ?)")
            for (position, value) in values.enumerated() {
                try statement.execute(arguments: [runID, task.id, name, position, value])
            }
        }
        for (name, points) in metrics.series {
            for point in points {
                try MetricPointRow(runId: runID, taskId: task.id, name: name, step: point.step, value: point.value).upsert(db)
            }
        }
    }

    /// `lora: {r: 8}` becomes `lora.r = 8`; lists become comma-separated text.
    static func flattened(_ settings: [String: SettingValue], prefix: String = "") -> [(String, String)] {
        settings.keys.sorted().flatMap { key -> [(String, String)] in
            guard let value = settings[key] else { return [] }
            if case .map(let nested) = value { return flattened(nested, prefix: prefix + key + ".") }
            return [(prefix + key, value.text)]
        }
    }
}
