import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// The cache fits the disk: gc frees what no kept run needs (and each kept run still resumes as
/// fully cached), refuses while a run uses the cache, rm removes a run, du measures, and a
/// temporary output goes once its readers completed and comes back when a reader needs it.
@Suite(.serialized) struct DiskCommandsTests {
    let directory: String

    init() throws {
        directory = Scratch.path("disk")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    private var runs: String { directory + "/Runs" }
    private var cache: String { runs + "/.cache" }

    /// A study whose one stage writes `kilobytes` KB named by `label` (another label, another
    /// fingerprint, another cache entry), in a spec file of its own (a run resumes with its file).
    @discardableResult
    private func writeBlobStudy(label: String, kilobytes: Int = 200) throws -> String {
        let file = "blobs-\(label).yaml"
        try """
        ablate: 1
        name: blobs
        stages:
          blob: {kind: command, run: "head -c \(kilobytes * 1000) /dev/zero > ${outputs.output}/\(label).bin"}
        """.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8)
        return file
    }

    /// An entry's bytes: the blob and its `entry.json`.
    private func isEntry(of kilobytes: Int, _ bytes: Int?) -> Bool {
        guard let bytes else { return false }
        return bytes > kilobytes * 1000 && bytes < kilobytes * 1000 + 2000
    }

    private func ablate(_ arguments: [String]) async throws -> CLIRunner.Result {
        try await CLIRunner.run(arguments + ["--runs-dir", runs], in: directory)
    }

    /// The study's runs, oldest first.
    private func runIDs() throws -> [String] {
        StoredRun.all(in: runs).filter { $0.record.study == "blobs" }.map(\.record.id)
    }

    @Test func gcKeepsPinnedAndLatestRunsResumableAndFreesTheRest() async throws {
        for label in ["first", "second", "third"] {
            await #expect(try ablate(["run", try writeBlobStudy(label: label)]).status == 0)
        }
        let ids = try runIDs()
        #expect(ids.count == 3)
        await #expect(try ablate(["pin", "blobs/" + ids[0]]).status == 0)
        // A checkpoint folder an unfinished task of the second run left.
        let checkpoints = RunLayout(runDirectory: runs + "/blobs/" + ids[1]).checkpoints("blob")
        try FileManager.default.createDirectory(atPath: checkpoints + "/checkpoint-10", withIntermediateDirectories: true)
        try Data(count: 50_000).write(to: URL(fileURLWithPath: checkpoints + "/checkpoint-10/optimizer.pt"))

        let dryRun = try await ablate(["gc", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("keep   blobs/\(ids[0])  (pinned)"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("keep   blobs/\(ids[2])  (the latest of blobs)"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("would free 250 KB (1 cache entry and 1 checkpoint folder)"), "\(dryRun.stdout)")
        #expect(DiskUsage.bytes(at: cache) >= 600_000, "a dry run frees nothing")

        let before = DiskUsage.bytes(at: cache) + DiskUsage.bytes(at: checkpoints)
        let gc = try await ablate(["gc", "--json"])
        #expect(gc.status == 0, "\(gc.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(gc.stdout.utf8)) as? [String: Any])
        let freed = try #require(report["freedBytes"] as? Int)
        #expect(Int64(freed) == before - DiskUsage.bytes(at: cache) - DiskUsage.bytes(at: checkpoints), "the bytes gc reports are the bytes that went")
        #expect(isEntry(of: 250, freed))
        #expect(!FileManager.default.fileExists(atPath: checkpoints))

        for kept in [ids[0], ids[2]] {
            let resume = try await ablate(["resume", "blobs/" + kept, "--dry-run"])
            #expect(resume.stdout.contains("0 to run"), "a kept run resumes as fully cached: \(resume.stdout)")
        }
        let freedRun = try await ablate(["resume", "blobs/" + ids[1], "--dry-run"])
        #expect(freedRun.stdout.contains("1 to run"), "\(freedRun.stdout)")
        await #expect(try ablate(["report", "blobs/" + ids[1]]).status == 0, "a freed run's records stay for reports")
    }

    @Test func gcRemovesWhatAnAblateKilledWhileCreatingARunLeftAndNothingBeingCreated() async throws {
        await #expect(try ablate(["run", try writeBlobStudy(label: "kept", kilobytes: 10)]).status == 0)
        let id = try #require(try runIDs().first)
        /// A directory an ablate left while it created a run: its plan, its lock, touched `age` seconds ago.
        func creation(_ name: String, age: TimeInterval) throws -> String {
            let path = runs + "/blobs/" + RunLayout.stagingPrefix + name
            try FileManager.default.createDirectory(atPath: path + "/tasks", withIntermediateDirectories: true)
            try Data(count: 30_000).write(to: URL(fileURLWithPath: path + "/plan.json"))
            FileManager.default.createFile(atPath: RunLayout(runDirectory: path).lockFile, contents: nil)
            try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-age)], ofItemAtPath: path)
            return path
        }
        let left = try creation("20260101-000000-deadbeef", age: 600)
        // One an ablate creates now (it holds the lock), and one that was made a moment ago.
        let creating = try creation("20260101-000000-feedface", age: 600)
        let lock = try RunLock(path: RunLayout(runDirectory: creating).lockFile)
        defer { lock.release() }
        let young = try creation("20260101-000000-0badcafe", age: 0)

        let dryRun = try await ablate(["gc", "--dry-run"])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout.contains("\(left) (its ablate was killed while it created the run)"), "\(dryRun.stdout)")
        #expect(dryRun.stdout.contains("and 1 unfinished run directory"), "\(dryRun.stdout)")
        #expect(!dryRun.stdout.contains(creating) && !dryRun.stdout.contains(young), "\(dryRun.stdout)")
        #expect(FileManager.default.fileExists(atPath: left), "a dry run removes nothing")

        let gc = try await ablate(["gc", "--json"])
        #expect(gc.status == 0, "\(gc.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(gc.stdout.utf8)) as? [String: Any])
        let removed = try #require(report["interruptedCreations"] as? [[String: Any]])
        #expect(removed.compactMap { $0["path"] as? String } == [left])
        #expect(try #require(report["freedBytes"] as? Int) >= 30_000)
        #expect(!FileManager.default.fileExists(atPath: left))
        #expect(FileManager.default.fileExists(atPath: creating) && FileManager.default.fileExists(atPath: young))
        let resume = try await ablate(["resume", "blobs/" + id, "--dry-run"])
        #expect(resume.stdout.contains("0 to run"), "the run itself is untouched: \(resume.stdout)")
    }

    @Test func gcRefusesWhileARunUsesTheCacheAndLosesNothing() async throws {
        await #expect(try ablate(["run", try writeBlobStudy(label: "kept")]).status == 0)
        try """
        ablate: 1
        name: slow
        stages:
          wait: {kind: command, run: "sleep 4"}
        """.write(toFile: directory + "/slow.yaml", atomically: true, encoding: .utf8)
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        slow.arguments = ["run", "slow.yaml", "--runs-dir", runs]
        slow.currentDirectoryURL = URL(fileURLWithPath: directory)
        slow.standardOutput = FileHandle.nullDevice
        slow.standardError = FileHandle.nullDevice
        try slow.run()
        #expect(await Waiting.until(timeout: 20) { FileManager.default.fileExists(atPath: runs + "/slow") && (try? runIDsOf("slow").isEmpty) == false })
        try await Task.sleep(for: .seconds(0.5))
        let before = DiskUsage.bytes(at: cache)
        let refused = try await ablate(["gc", "--keep-last", "0"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("uses the cache; nothing was removed"), "\(refused.stderr)")
        #expect(DiskUsage.bytes(at: cache) == before)
        await slow.waitForExit()
        let allowed = try await ablate(["gc", "--keep-last", "0"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(DiskUsage.bytes(at: cache) < before)
    }

    private func runIDsOf(_ study: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: runs + "/" + study)
    }

    @Test func rmRemovesARunAndWhatOnlyItNeedsAndDuMeasuresIt() async throws {
        let shared = try writeBlobStudy(label: "shared")
        await #expect(try ablate(["run", shared]).status == 0)
        await #expect(try ablate(["run", shared]).status == 0, "a second run of the same spec shares the entry")
        await #expect(try ablate(["run", try writeBlobStudy(label: "own", kilobytes: 300)]).status == 0)
        let ids = try runIDs()

        let du = try await ablate(["du", "--json"])
        let usage = try #require(try JSONSerialization.jsonObject(with: Data(du.stdout.utf8)) as? [String: Any])
        let rows = try #require(usage["runs"] as? [[String: Any]])
        #expect(rows.count == 3)
        #expect(zip(rows, [200, 200, 300]).allSatisfy { isEntry(of: $1, $0["outputsBytes"] as? Int) }, "\(rows)")
        #expect(rows.prefix(2).allSatisfy { $0["onlyHereBytes"] as? Int == 0 } && isEntry(of: 300, rows[2]["onlyHereBytes"] as? Int), "\(rows)")
        let perStage = try await ablate(["du", "blobs/" + ids[2]])
        #expect(perStage.stdout.contains("blob       1     300 KB"), "\(perStage.stdout)")

        let rm = try await ablate(["rm", "blobs/" + ids[2]])
        #expect(rm.status == 0, "\(rm.stderr)")
        #expect(rm.stdout.contains("and 1 cache entry only it needs"), "\(rm.stdout)")
        #expect(try runIDs() == Array(ids.prefix(2)))
        let rmShared = try await ablate(["rm", "blobs/" + ids[0]])
        #expect(rmShared.stdout.contains("and 0 cache entries only it needs"), "\(rmShared.stdout)")
        let resume = try await ablate(["resume", "blobs/" + ids[1], "--dry-run"])
        #expect(resume.stdout.contains("0 to run"), "the other run keeps the shared entry: \(resume.stdout)")
    }

    @Test func aTemporaryOutputGoesOnceItsReadersCompletedAndComesBackWhenOneNeedsIt() async throws {
        func write(reader: String) throws {
            try """
            ablate: 1
            name: temporary
            stages:
              merge: {kind: command, temporary: true, run: "head -c 300000 /dev/zero > ${outputs.output}/model.bin"}
              use: {kind: command, run: "wc -c < ${stages.merge.output}/model.bin > ${outputs.output}/\(reader)"}
            """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
        }
        try write(reader: "size")
        await #expect(try ablate(["run", "study.yaml"]).status == 0)
        let id = try #require(try runIDsOf("temporary").first)
        let layout = RunLayout(runDirectory: runs + "/temporary/" + id)
        let merge = try #require(try layout.readTaskRecord("merge"))
        #expect(merge.state == .completed)
        #expect(!FileManager.default.fileExists(atPath: layout.outputs("merge") + "/output/model.bin"), "gone once 'use' completed")
        #expect(try String(contentsOfFile: layout.outputs("use") + "/output/size", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "300000")

        let unchanged = try await ablate(["resume", "temporary/" + id, "--dry-run"])
        #expect(unchanged.stdout.contains("0 to run"), "\(unchanged.stdout)")
        #expect(unchanged.stdout.contains("its temporary outputs were deleted once its readers completed"), "\(unchanged.stdout)")

        try write(reader: "bytes")
        let changed = try await ablate(["resume", "temporary/" + id, "--spec", "study.yaml", "--dry-run"])
        #expect(changed.stdout.contains("its temporary outputs were deleted once its readers completed; use runs and reads them"), "\(changed.stdout)")
        #expect(changed.stdout.contains("2 to run"), "\(changed.stdout)")
        let resumed = try await ablate(["resume", "temporary/" + id, "--spec", "study.yaml"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(
            try String(contentsOfFile: layout.outputs("use") + "/output/bytes", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == "300000")
        #expect(!FileManager.default.fileExists(atPath: layout.outputs("merge") + "/output/model.bin"), "gone again")

        let fresh = try await ablate(["run", "study.yaml"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        // Both runs may start in the same second: the new one is the other id, not the later in order.
        let second = try #require(try runIDsOf("temporary").first { $0 != id })
        #expect(try RunLayout(runDirectory: runs + "/temporary/" + second).readTaskRecord("merge")?.state == .cached, "a new run needs no merge")
    }
}
