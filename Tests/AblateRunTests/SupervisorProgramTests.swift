import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// ablate-supervisor on its own: the exit record it writes for an exit, a signal and a time
/// limit, the leftovers of a task it sweeps, and the arguments it refuses.
struct SupervisorProgramTests {
    let directory = Scratch.path("supervisor")
    let supervisor = SupervisorProgram.beside(executable: CommandLine.arguments[0])

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Runs the supervisor on a shell line (it leads a process group of its own); returns its
    /// exit status and the record it wrote.
    private func supervise(_ line: String, flags: [String] = []) async throws -> (Int32, ExitRecord?) {
        let record = directory + "/exit-\(UUID().uuidString).json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: supervisor.path)
        process.arguments = ["--exit-record", record] + flags + ["--", "/bin/sh", "-c", line]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        await process.waitForExit()
        let written = FileManager.default.fileExists(atPath: record) ? try AtomicFile.readJSON(ExitRecord.self, from: record) : nil
        return (process.terminationStatus, written)
    }

    @Test func theExitOfTheTaskIsRecordedAndMirrored() async throws {
        let (status, record) = try await supervise("exit 3")
        #expect(status == 3)
        #expect(record == ExitRecord(exitCode: 3))
    }

    @Test func aTaskKilledByASignalIsRecordedWithIt() async throws {
        let (_, record) = try await supervise("kill -TERM $$")
        #expect(record == ExitRecord(signal: SIGTERM))
    }

    @Test func aStopSignalToTheSupervisorReachesTheTaskAndIsOutlived() async throws {
        let record = directory + "/signalled.json"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: supervisor.path)
        process.arguments = ["--exit-record", record, "--", "/bin/sh", "-c", "trap 'exit 7' TERM; sleep 30 & wait"]
        try process.run()
        try await Task.sleep(for: .seconds(0.5))
        kill(process.processIdentifier, SIGTERM)
        await process.waitForExit()
        #expect(process.terminationStatus == 7, "the task's trap ran, and the supervisor ended as the task did")
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(exitCode: 7))
    }

    @Test func theTimeLimitSendsSIGTERMThenSIGKILLAfterTheGrace() async throws {
        let started = Date()
        let (_, record) = try await supervise("trap '' TERM; sleep 20", flags: ["--time-limit", "1", "--grace", "1"])
        #expect(record == ExitRecord(signal: SIGKILL, timedOut: true), "a task that ignores SIGTERM is killed after the grace")
        #expect(Date().timeIntervalSince(started) < 10)
        let (_, polite) = try await supervise("sleep 20", flags: ["--time-limit", "1", "--grace", "5"])
        #expect(polite == ExitRecord(signal: SIGTERM, timedOut: true))
    }

    @Test func whatTheTaskLeftInItsGroupIsKilledWhenItEnds() async throws {
        let pidFile = directory + "/background"
        let (status, _) = try await supervise("sleep 30 & echo $! > \(pidFile); exit 0")
        #expect(status == 0)
        let background = try #require(Int32(try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await Waiting.until(timeout: 5) { !Processes.isAlive(background) }, "the background child went with the task")
    }

    @Test func argumentsItCannotUseAreRefused() async throws {
        for arguments in [
            ["--", "/bin/true"], ["--exit-record", directory + "/x", "--", "true"],
            ["--exit-record", directory + "/x", "--time-limit", "soon", "--", "/bin/true"],
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: supervisor.path)
            process.arguments = arguments
            process.standardError = FileHandle.nullDevice
            try process.run()
            await process.waitForExit()
            #expect(process.terminationStatus == 2, "\(arguments)")
        }
    }
}
