import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import GRDB
import Testing

/// A running run's task rows reach the index in batches, after the task's files: a task changed
/// several times within a batch is written as it was last, and a batch that cannot be written
/// stops the changes that follow it with its cause.
@Suite struct IndexBatchTests {
    @Test func aTaskChangedWithinOneBatchIsWrittenAsItWasLast() throws {
        let (store, task) = try Self.store()
        let started = try store.transition(TaskRecord(task: task, state: .pending), .attemptStarted(gpus: 0), runID: store.layout.runID)
        let ended = try store.transition(started, .abandoned(reason: "stopped by the test"), runID: store.layout.runID)
        try store.flushIndex()
        let row = try #require(
            try store.index.writer.read { db in
                try Row.fetchOne(
                    db, sql: "SELECT state, attempts, reason, (SELECT state FROM attempt WHERE taskId = task.taskId) FROM task WHERE taskId = ?",
                    arguments: [task.id])
            })
        #expect(row[0] as String == ended.state.rawValue && row[1] as Int == 1 && row[2] as String? == "stopped by the test")
        #expect(row[3] as String? == ended.attempts.last?.state.rawValue)
        let file = try AtomicFile.readJSON(TaskRecord.self, from: store.layout.status(task.id))
        #expect(file.state == ended.state && file.reason == ended.reason, "the files hold the same record")
    }

    @Test func aBatchThatCannotBeWrittenStopsTheNextChangeWithItsCause() throws {
        let (store, task) = try Self.store()
        try store.index.writer.close()
        let started = try store.transition(TaskRecord(task: task, state: .pending), .attemptStarted(gpus: 0), runID: store.layout.runID)
        #expect(try AtomicFile.readJSON(TaskRecord.self, from: store.layout.status(task.id)).state == started.state, "the files come first")
        #expect(throws: DatabaseError.self) { try store.flushIndex() }
        #expect(throws: DatabaseError.self, "a later change is refused with the same cause") {
            try store.transition(started, .abandoned(reason: "stopped by the test"), runID: store.layout.runID)
        }
    }

    @Test func aTaskWhoseMetricsFileIsGoneHasNoMetricsInTheIndex() throws {
        let (store, task) = try Self.store()
        let started = try store.transition(TaskRecord(task: task, state: .pending), .attemptStarted(gpus: 0), runID: store.layout.runID)
        var metrics = MetricsRecord()
        metrics.scalars["acc"] = .init(value: 0.5)
        try AtomicFile.writeJSON(metrics, to: store.layout.metrics(task.id))
        let ended = try store.transition(started, .abandoned(reason: "stopped by the test"), runID: store.layout.runID)
        try store.flushIndex()
        let count = { try store.index.writer.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM metric") } }
        #expect(try count() == 1, "the metrics file's value is in the index")
        unlink(store.layout.metrics(task.id))
        try store.save(ended, runID: store.layout.runID)
        try store.flushIndex()
        #expect(try count() == 0, "no metrics file, no metrics")
    }

    /// A store of a new run directory whose index holds the run, and a task of a one-stage plan.
    private static func store() throws -> (RunStore, PlannedTask) {
        let directory = Scratch.path("index-batch")
        let spec = """
            ablate: 1
            name: batch
            stages:
              echo: {kind: command, command: [echo, hello]}
            """
        let outcome = StudyCompiler().compile(text: spec, file: directory + "/study.yaml")
        let task = try #require(outcome.plan?.tasks.first { $0.stage == "echo" }, "\(outcome.diagnostics.sorted.map(\.description))")
        let layout = RunLayout(runsDirectory: directory + "/Runs", study: "batch", runID: "r")
        try FileManager.default.createDirectory(atPath: layout.runDirectory, withIntermediateDirectories: true)
        let store = try RunStore(layout: layout)
        let date = Date(timeIntervalSince1970: 0)
        let provenance = Provenance(gitCommit: nil, gitDirty: nil, host: "h", ablateVersion: "v", toolVersions: [:], environmentFingerprint: "e")
        try store.save(
            RunRecord(
                id: "r", study: "batch", specFile: "study.yaml", state: .running, createdAt: date, pid: 1, heartbeatAt: date, executor: .local,
                provenance: provenance))
        return (store, task)
    }
}
