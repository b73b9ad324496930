import Foundation
import GRDB
import Synchronization

/// The SQLite index of one run directory: runs, tasks, attempts, params, metrics, artifacts
/// and provenance. The directory's files are the truth; the index is rebuilt from them by
/// `ablate reindex`, and the live index is written from the same records the files hold.
public final class RunIndex: Sendable {
    public let writer: any DatabaseWriter
    /// The tasks whose params this index has written (they do not change while a run goes).
    let writtenParams = Mutex<Set<String>>([])

    /// Opens (creating if needed) the index at `path`.
    public convenience init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // The files are the truth and the index can be rebuilt from them, so commits need not
        // wait for the disk: WAL with synchronous=NORMAL keeps many small updates cheap.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        try self.init(writer: DatabaseQueue(path: path, configuration: configuration))
    }

    /// Opens an existing index to read it (reports): read-only when its schema is current, so
    /// that reading a hundred runs costs no writes; an index from an older ablate is migrated
    /// first.
    public convenience init(readingAt path: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let reader = try DatabaseQueue(path: path, configuration: configuration)
        if try reader.read({ try Self.migrator.hasCompletedMigrations($0) }) {
            self.init(existing: reader)
        } else {
            try reader.close()
            try self.init(path: path)
        }
    }

    private init(existing writer: any DatabaseWriter) {
        self.writer = writer
    }

    /// Uses any database, such as an in-memory queue in tests.
    public init(writer: any DatabaseWriter) throws {
        self.writer = writer
        try Self.migrator.migrate(writer)
    }

    /// Migrations are named and never edited once released: new ones are appended.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: runs, tasks, attempts, params, metrics, artifacts, provenance") { db in
            try db.create(table: "run") { t in
                t.primaryKey("id", .text)
                t.column("study", .text).notNull()
                t.column("specFile", .text).notNull()
                t.column("state", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.column("pid", .integer).notNull()
                t.column("heartbeatAt", .datetime).notNull()
                t.column("executor", .text).notNull()
            }
            try db.create(table: "provenance") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("key", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["runId", "key"])
            }
            try db.create(table: "task") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("taskId", .text).notNull()
                t.column("stage", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("fingerprint", .text).notNull().indexed()
                t.column("state", .text).notNull()
                t.column("attempts", .integer).notNull()
                t.column("startedAt", .datetime)
                t.column("endedAt", .datetime)
                t.column("exitCode", .integer)
                t.column("cachedFromRun", .text)
                t.column("cachedFromTask", .text)
                t.column("reason", .text)
                t.primaryKey(["runId", "taskId"])
            }
            try db.create(table: "attempt") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("number", .integer).notNull()
                t.column("state", .text).notNull()
                t.column("startedAt", .datetime).notNull()
                t.column("endedAt", .datetime)
                t.column("pid", .integer)
                t.column("exitCode", .integer)
                t.column("signal", .integer)
                t.column("timedOut", .boolean).notNull()
                t.primaryKey(["runId", "taskId", "number"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
            try db.create(table: "param") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("name", .text).notNull()
                t.column("value", .text).notNull()
                t.primaryKey(["runId", "taskId", "name"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
            try db.create(table: "metric") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("name", .text).notNull().indexed()
                t.column("value", .double)
                t.column("stderr", .double)
                t.primaryKey(["runId", "taskId", "name"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
            try db.create(table: "metricPoint") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("name", .text).notNull()
                t.column("step", .integer).notNull()
                t.column("value", .double)
                t.primaryKey(["runId", "taskId", "name", "step"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
            try db.create(table: "artifact") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("name", .text).notNull()
                t.column("path", .text).notNull()
                t.primaryKey(["runId", "taskId", "name"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v2: variants and their tasks") { db in
            try db.create(table: "variant") { t in
                t.column("runId", .text).notNull().references("run", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("axisValues", .text).notNull()
                t.primaryKey(["runId", "name"])
            }
            try db.create(table: "variantTask") { t in
                t.column("runId", .text).notNull()
                t.column("variant", .text).notNull()
                t.column("stage", .text).notNull()
                t.column("taskId", .text).notNull()
                t.primaryKey(["runId", "variant", "stage"])
                t.foreignKey(["runId", "variant"], references: "variant", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v3: per-item metric values") { db in
            try db.create(table: "metricItem") { t in
                t.column("runId", .text).notNull()
                t.column("taskId", .text).notNull()
                t.column("name", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("value", .double).notNull()
                t.primaryKey(["runId", "taskId", "name", "position"])
                t.foreignKey(["runId", "taskId"], references: "task", onDelete: .cascade)
            }
        }
        migrator.registerMigration("v4: Slurm job ids of attempts") { db in
            try db.alter(table: "attempt") { t in t.add(column: "jobId", .text) }
        }
        migrator.registerMigration("v5: GPUs of attempts") { db in
            try db.alter(table: "attempt") { t in t.add(column: "gpus", .integer) }
        }
        migrator.registerMigration("v6: whether the index holds every change of the run's files") { db in
            try db.create(table: "completeness") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("complete", .boolean).notNull()
            }
            // A new index is complete; one written by an older ablate is rebuilt once.
            try db.execute(sql: "INSERT INTO completeness (id, complete) VALUES (1, NOT EXISTS (SELECT 1 FROM run))")
        }
        return migrator
    }
}
