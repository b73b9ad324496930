import AblateCore
import AblateRun
import AblateTestSupport
import Foundation
import GRDB
import Testing

@testable import AblateStore

/// A run's index records whether it holds every change of the run's files. A session that
/// closes it cleanly leaves it complete, and the next resume writes only the rows of what it
/// changes; an index a killed ablate left (or an older ablate wrote) is rebuilt from the files.
@Suite struct IndexCompletenessTests {
    @Test func aStoreLeftOpenLeavesTheIndexIncompleteUntilItIsRebuilt() throws {
        let layout = try Self.runDirectory()
        #expect(try RunStore(layout: layout).indexWasComplete, "a new index holds every change of no files")
        // The first store is never closed, as when ablate is killed while a run goes.
        let afterKill = try RunStore(layout: layout)
        #expect(!afterKill.indexWasComplete)
        try afterKill.closeIndex()
        let afterCancel = try RunStore(layout: layout)
        #expect(!afterCancel.indexWasComplete, "closing a store that did not rebuild the index leaves it incomplete")
        let date = Date(timeIntervalSince1970: 0)
        let provenance = Provenance(gitCommit: nil, gitDirty: nil, host: "h", ablateVersion: "v", toolVersions: [:], environmentFingerprint: "e")
        let run = RunRecord(
            id: "r", study: "study", specFile: "study.yaml", state: .completed, createdAt: date, pid: 1, heartbeatAt: date, executor: .local,
            provenance: provenance)
        try afterCancel.rebuildIndex(run: run, variants: [], tasks: [])
        try afterCancel.closeIndex()
        #expect(try RunStore(layout: layout).indexWasComplete)
    }

    @Test func anIndexFromBeforeCompletenessWasRecordedIsRebuiltOnce() throws {
        let layout = try Self.runDirectory()
        // An index of the schema before this record existed, holding a run.
        let queue = try DatabaseQueue(path: layout.index)
        try RunIndex.migrator.migrate(queue, upTo: "v5: GPUs of attempts")
        try queue.write { db in
            try db.execute(
                sql: "INSERT INTO run (id, study, specFile, state, createdAt, pid, heartbeatAt, executor) VALUES ('r', 's', 'f', 'completed', 0, 1, 0, 'local')"
            )
        }
        try queue.close()
        #expect(try !RunStore(layout: layout).indexWasComplete)
    }

    @Test func aResumeAfterACleanCloseWritesOnlyWhatItChangesAndMatchesARebuiltIndex() async throws {
        let harness = try Harness(ResumeTests.pipeline)
        let (first, firstState) = try await harness.run()
        #expect(firstState == .completed)
        // A mark on an unchanged task's row that only a rebuild of the index would remove.
        let reason = try Self.mark("sft", first.layout)

        // The edit changes dpo (so eval runs again too), drops the reward stage and adds one.
        let edited = harness.directory + "/edited.yaml"
        try String(contentsOfFile: harness.specPath, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("  reward:") }.joined(separator: "\n")
            .replacingOccurrences(of: "echo dpo >>", with: "echo dpo-v2 >>")
            .replacingOccurrences(of: "  sft: {kind: command", with: "  extra: {kind: command, command: [\"true\"]}\n  sft: {kind: command")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let session = try await RunSession.resume(
            ResumeTarget(runDirectory: first.layout.runDirectory, specOverride: edited, cacheDirectory: nil), options: harness.options(), observer: nil)
        #expect(try await session.execute() == .completed)
        let index = try RunIndex(path: session.layout.index)
        #expect(try Self.reason(of: "sft", index) == "marked", "the unchanged task's row was not written again")
        try await index.writer.write { db in try db.execute(sql: "UPDATE task SET reason = ? WHERE taskId = 'sft'", arguments: [reason]) }
        #expect(try Self.stateAndFingerprint(of: "dpo", index) == Self.fileStateAndFingerprint(of: "dpo", session.layout))
        #expect(try Self.reason(of: "reward", index) == nil && Self.stateAndFingerprint(of: "reward", index).isEmpty, "the dropped task left the index")
        let live = try index.dump()
        try index.writer.close()
        #expect(try Reindexer.reindex(runDirectory: session.layout.runDirectory) == 4)
        #expect(try live == RunIndex(path: session.layout.index).dump(), "the live index says what the files say")
    }

    @Test func aResumeAfterAKilledSessionRebuildsTheIndexFromTheFiles() async throws {
        let harness = try Harness(ResumeTests.pipeline)
        let (first, _) = try await harness.run()
        _ = try Self.mark("sft", first.layout)
        // A store opened and never closed: what an ablate killed mid-run leaves.
        _ = try RunStore(layout: first.layout)
        let (second, state) = try await harness.resume(first.layout.runDirectory)
        #expect(state == .completed)
        let index = try RunIndex(path: second.layout.index)
        #expect(try Self.reason(of: "sft", index) != "marked", "the index was rebuilt from the files")
        #expect(try RunStore(layout: second.layout).indexWasComplete, "the rebuilt index, closed cleanly, is complete")
    }

    @Test func anIndexRebuiltWhileAnAblateDrivesTheRunIsRebuiltAgainByTheNextResume() async throws {
        let harness = try Harness(ResumeTests.pipeline)
        let (first, _) = try await harness.run()
        let layout = first.layout
        #expect(try Reindexer.reindex(runDirectory: layout.runDirectory) == 4)
        #expect(try RunStore(layout: layout).indexWasComplete, "rebuilt while no ablate drives the run, it holds every change")
        // The run's lock held, as by an ablate running it.
        let lock = try RunLock(path: layout.lockFile)
        #expect(try Reindexer.reindex(runDirectory: layout.runDirectory) == 4)
        lock.release()
        #expect(try RunStore(layout: layout).indexWasComplete == false)
    }

    /// A run directory whose index is new, and holds nothing yet.
    private static func runDirectory() throws -> RunLayout {
        let directory = Scratch.path("index-completeness")
        let layout = RunLayout(runsDirectory: directory + "/Runs", study: "study", runID: "r")
        try FileManager.default.createDirectory(atPath: layout.runDirectory, withIntermediateDirectories: true)
        return layout
    }

    /// Sets the task's reason in the index to "marked", and returns what it was.
    private static func mark(_ task: String, _ layout: RunLayout) throws -> String? {
        let index = try RunIndex(path: layout.index)
        let reason = try Self.reason(of: task, index)
        try index.writer.write { db in try db.execute(sql: "UPDATE task SET reason = 'marked' WHERE taskId = ?", arguments: [task]) }
        try index.writer.close()
        return reason
    }

    private static func reason(of task: String, _ index: RunIndex) throws -> String? {
        try index.writer.read { db in try String.fetchOne(db, sql: "SELECT reason FROM task WHERE taskId = ?", arguments: [task]) }
    }

    private static func stateAndFingerprint(of task: String, _ index: RunIndex) throws -> [String] {
        try index.writer.read { db in
            try Row.fetchOne(db, sql: "SELECT state, fingerprint FROM task WHERE taskId = ?", arguments: [task]).map { [$0[0], $0[1]] } ?? []
        }
    }

    private static func fileStateAndFingerprint(of task: String, _ layout: RunLayout) throws -> [String] {
        let record = try AtomicFile.readJSON(TaskRecord.self, from: layout.status(task))
        return [record.state.rawValue, record.fingerprint.value]
    }
}
