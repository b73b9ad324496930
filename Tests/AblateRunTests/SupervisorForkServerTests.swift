import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import Synchronization
import Testing

@testable import AblateRun

/// The resident `ablate-supervisor --serve` that forks each local task's supervisor: what it forks
/// is what ablate would start (its own session, the task's files, directory and environment,
/// no descriptor of ablate's, `--exit-record PATH` as its command line), a start that fails says
/// why, and when the server dies its tasks are followed to their end and later ones start
/// their supervisors themselves.
@Suite struct SupervisorForkServerTests {
    let directory = NSTemporaryDirectory() + "ablate-fork-server-" + UUID().uuidString
    let launcher = SubprocessLauncher(killGrace: 1, supervisor: SupervisorProgram.beside(executable: CommandLine.arguments[0]))

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func request(_ name: String, _ line: String, standardOutput: String? = nil) throws -> LaunchRequest {
        let task = directory + "/" + name
        try FileManager.default.createDirectory(atPath: task, withIntermediateDirectories: true)
        return LaunchRequest(
            name: name, arguments: ["/bin/sh", "-c", line], environment: ["FORK_SERVER_PROBE": "probe value"], workingDirectory: task,
            standardOutput: standardOutput ?? task + "/stdout.log", standardError: task + "/stderr.log", exitRecord: task + "/exit-1.json",
            batchScript: task + "/job.sh", placement: nil, resources: TaskResources())
    }

    /// Launches the request in a task of its own; returns its handle once it started, and the task.
    func launch(_ request: LaunchRequest) async throws -> (pid: Int32, outcome: Task<LaunchOutcome, any Error>) {
        let handle = Mutex<LaunchHandle?>(nil)
        let launcher = launcher
        let outcome = Task { try await launcher.launch(request) { started in handle.withLock { $0 = started } } }
        #expect(await Waiting.until(timeout: 10) { handle.withLock { $0 } != nil })
        guard case .processGroup(let pid, _)? = handle.withLock({ $0 }) else { throw CannotFollow(handle: .processGroup(0, exitRecord: nil)) }
        return (pid, outcome)
    }

    /// The parent of a process, from `/proc/PID/status`.
    func parent(of pid: Int32) -> Int32? {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        return status.split(separator: "\n").first { $0.hasPrefix("PPid:") }.flatMap { Int32($0.dropFirst(5).trimmingCharacters(in: .whitespaces)) }
    }

    func commandLine(of pid: Int32) -> [String] {
        let bytes = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") ?? Data()
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func aForkedSupervisorIsWhatAStartedOneWouldBe() async throws {
        let request = try request(
            "probe",
            """
            awk '{ print $6 }' /proc/$$/stat > session
            readlink /proc/$$/fd/0 > stdin
            ls /proc/self/fd > descriptors
            printf '%s' "$FORK_SERVER_PROBE" > variable
            pwd > directory
            echo out; echo err >&2
            sleep 1
            exit 3
            """)
        // A descriptor of ablate's that does not close on exec: the task must not hold it.
        let inheritable = open("/dev/null", O_RDONLY)
        defer { close(inheritable) }
        let (supervisor, outcome) = try await launch(request)
        let words = commandLine(of: supervisor)
        #expect(words.first?.hasSuffix("/ablate-supervisor") == true)
        #expect(Array(words.dropFirst()) == ["--exit-record", request.exitRecord], "ps and a resuming ablate tell the supervisor by it")
        #expect(SupervisorProgram.isRunning(supervisor, exitRecord: request.exitRecord))
        #expect(SupervisorProgram.running()[request.exitRecord] == supervisor)
        let server = try #require(parent(of: supervisor))
        #expect(server != getpid() && commandLine(of: server).dropFirst().first == "--serve", "the server forked it")
        #expect(try await outcome.value == LaunchOutcome(exit: .exited(3)))
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: request.exitRecord) == ExitRecord(exitCode: 3))
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: request.workingDirectory + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try read("session") == String(supervisor), "the supervisor leads the task's session")
        #expect(try read("stdin") == "/dev/null")
        #expect(try read("descriptors").split(separator: "\n") == ["0", "1", "2", "3"], "only the standard ones, and ls's own")
        #expect(try read("variable") == "probe value")
        #expect(try read("directory") == request.workingDirectory)
        #expect(try read("stdout.log") == "out")
        #expect(try read("stderr.log") == "err")
    }

    /// Expects a start whose log file cannot be created to fail with an error naming the file.
    func expectAMissingLogDirectoryFailsTheStartNamingTheFile() async {
        let missing = directory + "/no-such-directory/stdout.log"
        await #expect {
            _ = try await launcher.launch(try request("unlogged", "exit 0", standardOutput: missing)) { _ in }
        } throws: { error in
            "\(error)".contains(missing) && "\(error)".contains("No such file or directory")
        }
    }

    @Test func aLogFileThatCannotBeCreatedFailsTheStartAndNamesIt() async throws {
        await expectAMissingLogDirectoryFailsTheStartNamingTheFile()
    }

    @Test func whenTheServerDiesItsTasksAreFollowedAndLaterOnesStartTheirOwnSupervisor() async throws {
        let (supervisor, outcome) = try await launch(try request("first", "sleep 1; exit 4"))
        let server = try #require(parent(of: supervisor))
        #expect(commandLine(of: server).dropFirst().first == "--serve")
        kill(server, SIGKILL)
        #expect(try await outcome.value == LaunchOutcome(exit: .exited(4)), "the supervisor goes on, and its record is read")
        let (later, laterOutcome) = try await launch(try request("later", "sleep 1; exit 5"))
        #expect(parent(of: later) == getpid(), "started as a program of its own")
        #expect(try await laterOutcome.value == LaunchOutcome(exit: .exited(5)))
        // A log file that cannot be created is named there too.
        await expectAMissingLogDirectoryFailsTheStartNamingTheFile()
    }

    @Test func aCommandWithANULByteStartsItsSupervisorAsBefore() async throws {
        // The protocol separates fields with NULs; such a command goes to swift-subprocess, which
        // ends each argument at its first NUL, as it did before there was a server.
        let (supervisor, outcome) = try await launch(try request("nul", "sleep 1; exit 6\u{0}; exit 7"))
        #expect(parent(of: supervisor) == getpid())
        #expect(try await outcome.value == LaunchOutcome(exit: .exited(6)))
    }
}
