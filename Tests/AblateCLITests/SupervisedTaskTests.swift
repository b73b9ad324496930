import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// Local tasks outlive the ablate that started them: ablate-supervisor, which supervises each,
/// records how it ended, and `ablate resume` follows a task still running, or takes the result of
/// one that ended meanwhile, instead of killing it and running it again.
@Suite(.serialized) struct SupervisedTaskTests {
    let directory: String

    init() throws {
        directory = Scratch.path("supervised")
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
        // A task of a few seconds that logs its start and end, and a task that reads its result.
        try """
        ablate: 1
        name: outliving
        stages:
          long: {kind: command, run: "echo start >> \(directory)/scratch/log; sleep 3; echo done >> \(directory)/scratch/log; echo 42 > ${outputs.output}/result"}
          after: {kind: command, run: "cat ${stages.long.output}/result", inputs: {result: "${stages.long.output}"}}
        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
    }

    private var log: [String] {
        ((try? String(contentsOfFile: directory + "/scratch/log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private var layout: RunLayout? {
        let study = directory + "/Runs/outliving"
        guard let id = try? FileManager.default.contentsOfDirectory(atPath: study).first(where: { !$0.hasPrefix(RunLayout.stagingPrefix) }) else { return nil }
        return RunLayout(runDirectory: study + "/" + id)
    }

    /// Starts `ablate run`, waits until the long task's group is recorded, and kills ablate.
    private func runAndKillAblate() async throws -> (RunLayout, Int32) {
        let ablate = Process()
        ablate.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        ablate.arguments = ["run", "study.yaml", "--runs-dir", directory + "/Runs"]
        ablate.currentDirectoryURL = URL(fileURLWithPath: directory)
        ablate.standardOutput = FileHandle.nullDevice
        ablate.standardError = FileHandle.nullDevice
        try ablate.run()
        #expect(await Waiting.until(timeout: 30) { (try? layout?.readTaskRecord("long"))??.lastAttempt?.pid != nil && log == ["start"] })
        kill(ablate.processIdentifier, SIGKILL)
        await ablate.waitForExit()
        let run = try #require(layout)
        let group = try #require(try run.readTaskRecord("long")?.lastAttempt?.pid)
        #expect(Processes.isAlive(group), "the task's supervisor goes on without its ablate")
        return (run, group)
    }

    private func resume() async throws -> CLIRunner.Result {
        try await CLIRunner.run(["resume", "outliving", "--runs-dir", directory + "/Runs"], in: directory)
    }

    /// The task ran once, in one attempt, and what reads it ran after it.
    private func expectRanOnce(_ layout: RunLayout) throws {
        #expect(log == ["start", "done"], "the task ran once")
        let long = try #require(try layout.readTaskRecord("long"))
        #expect(long.state == .completed && long.attempts.count == 1, "\(long.attempts)")
        #expect(try layout.readTaskRecord("after")?.state == .completed)
        #expect(try String(contentsOfFile: layout.stdout("after"), encoding: .utf8) == "42\n")
    }

    @Test func resumeFollowsATaskStillRunningAfterItsAblateWasKilled() async throws {
        let (layout, group) = try await runAndKillAblate()
        let resumed = try await resume()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let events = try String(contentsOfFile: layout.events, encoding: .utf8)
        #expect(events.contains("following process group \(group)"), "\(events)")
        try expectRanOnce(layout)
    }

    @Test func aTaskThatEndedWhileNoAblateWatchedIsTakenAsItEnded() async throws {
        let (layout, group) = try await runAndKillAblate()
        #expect(await Waiting.until(timeout: 20) { FileManager.default.fileExists(atPath: layout.exitRecord("long", attempt: 1)) && !Processes.isAlive(group) })
        let resumed = try await resume()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try expectRanOnce(layout)
    }

    @Test func anAttemptThatEndedBeforeItsStartWasRecordedIsTakenAsItEnded() async throws {
        let (layout, group) = try await runAndKillAblate()
        #expect(await Waiting.until(timeout: 20) { FileManager.default.fileExists(atPath: layout.exitRecord("long", attempt: 1)) && !Processes.isAlive(group) })
        // As if ablate had died after starting the task and before writing its attempt down.
        var record = try #require(try layout.readTaskRecord("long"))
        record.attempts = []
        record.state = .pending
        try AtomicFile.writeJSON(record, to: layout.status("long"))
        let resumed = try await resume()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try expectRanOnce(layout)
    }

    @Test func aSupervisorWhoseGroupWasNeverRecordedIsFoundAndFollowed() async throws {
        let (layout, group) = try await runAndKillAblate()
        // As if ablate had died between starting the supervisor and recording its group.
        var record = try #require(try layout.readTaskRecord("long"))
        record.attempts[record.attempts.count - 1].pid = nil
        record.attempts[record.attempts.count - 1].exitRecord = nil
        try AtomicFile.writeJSON(record, to: layout.status("long"))
        try await expectResumeFollows(group, layout)
    }

    /// Resumes, and expects the attempt of `group` to have been followed to its end.
    private func expectResumeFollows(_ group: Int32, _ layout: RunLayout) async throws {
        let resumed = try await resume()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        try expectRanOnce(layout)
        #expect(try layout.readTaskRecord("long")?.lastAttempt?.pid == group)
    }

    @Test func aTaskWithNoRecordAtAllWhoseFirstAttemptRunsIsFoundAndFollowed() async throws {
        let (layout, group) = try await runAndKillAblate()
        // As if ablate had died after it sent the task to the fork server and before it wrote
        // anything of it down: only its command.json, written before the start, names it.
        try FileManager.default.removeItem(atPath: layout.status("long"))
        try await expectResumeFollows(group, layout)
    }

    @Test func aTaskWithNoRecordWhoseAttemptRanAnotherVersionIsStoppedAndRunsAgain() async throws {
        let (layout, group) = try await runAndKillAblate()
        try FileManager.default.removeItem(atPath: layout.status("long"))
        // Its command.json names another version of the task (say, the spec changed since).
        let command = layout.command("long")
        let text = try String(contentsOfFile: command, encoding: .utf8)
        let fingerprint = try #require(text.range(of: #""fingerprint":"[0-9a-f]{64}""#, options: .regularExpression))
        try text.replacingCharacters(in: fingerprint, with: "\"fingerprint\":\"\(String(repeating: "0", count: 64))\"")
            .write(toFile: command, atomically: true, encoding: .utf8)
        let resumed = try await resume()
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(!Processes.isAlive(group), "the attempt of the other version was stopped")
        #expect(log == ["start", "start", "done"], "stopped before it was done, then run again: \(log)")
        #expect(try layout.readTaskRecord("long")?.state == .completed)
    }
}
