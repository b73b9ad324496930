import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import Synchronization
import Testing

@testable import AblateRun

/// The resident `ablate-supervisor --serve` that starts and supervises each local task: the task
/// is what a supervisor would start (its own session, the task's files, directory and
/// environment, no descriptor of ablate's), its time limit is enforced, its end recorded, also
/// once ablate is gone, a start that fails says why, and when the server dies what is left of its
/// tasks is stopped and later ones start their supervisors themselves.
@Suite struct SupervisorForkServerTests {
    let directory = Scratch.path("fork-server")
    let launcher = SubprocessLauncher(killGrace: 1, supervisor: SupervisorProgram.beside(executable: CommandLine.arguments[0]))

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func request(_ name: String, _ line: String, standardOutput: String? = nil, timeLimitSeconds: Int? = nil) throws -> LaunchRequest {
        let task = directory + "/" + name
        try FileManager.default.createDirectory(atPath: task, withIntermediateDirectories: true)
        var resources = TaskResources()
        resources.timeLimitSeconds = timeLimitSeconds
        return LaunchRequest(
            name: name, arguments: ["/bin/sh", "-c", line], environment: ["FORK_SERVER_PROBE": "probe value"], workingDirectory: task,
            standardOutput: standardOutput ?? task + "/stdout.log", standardError: task + "/stderr.log", exitRecord: task + "/exit-1.json",
            batchScript: task + "/job.sh", placement: nil, resources: resources)
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

    /// The exit record of the request's attempt, once it is written (the server tells ablate how
    /// a task ended first, and records it just after), or nil after 10 seconds.
    func record(of request: LaunchRequest) async -> ExitRecord? {
        _ = await Waiting.until(timeout: 10) { FileManager.default.fileExists(atPath: request.exitRecord) }
        return try? AtomicFile.readJSON(ExitRecord.self, from: request.exitRecord)
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

    @Test func aTaskTheServerSupervisesIsWhatASupervisorWouldStart() async throws {
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
        let (task, outcome) = try await launch(request)
        #expect(commandLine(of: task).first == "/bin/sh", "the task itself, with no supervisor process")
        // A resuming ablate tells the task by its running marker, which names it.
        #expect(RunningMarker.pid(recordingTo: request.exitRecord) == task)
        #expect(SupervisorProgram.isRunning(task, exitRecord: request.exitRecord))
        #expect(SupervisorProgram.supervisedAttempt(recordingTo: request.exitRecord, supervisors: [:]) == task)
        #expect(!SupervisorProgram.isRunning(getpid(), exitRecord: request.exitRecord), "another process is not it")
        let server = try #require(parent(of: task))
        #expect(server != getpid() && commandLine(of: server).dropFirst().first == "--serve", "the server started it")
        #expect(try await outcome.value == LaunchOutcome(exit: .exited(3)))
        #expect(await record(of: request) == ExitRecord(exitCode: 3))
        #expect(!FileManager.default.fileExists(atPath: request.exitRecord + RunningMarker.suffix), "the marker became the record")
        #expect(!SupervisorProgram.isRunning(task, exitRecord: request.exitRecord))
        func read(_ name: String) throws -> String {
            try String(contentsOfFile: request.workingDirectory + "/" + name, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(try read("session") == String(task), "the task leads a session of its own")
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

    @Test func theServerEnforcesTheTimeLimitWithSIGTERMThenSIGKILLAfterTheGrace() async throws {
        let started = Date()
        // The task ignores SIGTERM: the grace (1 second) runs out, and SIGKILL ends it.
        let request = try request("slow", "trap '' TERM; sleep 30 & wait; sleep 30", timeLimitSeconds: 1)
        let (_, outcome) = try await launch(request)
        #expect(try await outcome.value == LaunchOutcome(exit: .signaled(SIGKILL), timedOut: true))
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(await record(of: request) == ExitRecord(signal: SIGKILL, timedOut: true))
    }

    @Test func aTaskGoesOnToItsRecordedEndWhenAblateClosesTheServer() async throws {
        let program = SupervisorProgram.beside(executable: CommandLine.arguments[0])
        let request = try request("orphan", "sleep 1; exit 7")
        let serverProcess: pid_t
        do {
            let server = try #require(SupervisorForkServer(program: program))
            let (pids, reportPID) = AsyncStream.makeStream(of: pid_t.self)
            let attempt = Task {
                await server.run(
                    arguments: program.arguments(exitRecord: request.exitRecord, timeLimitSeconds: nil, grace: 1, command: request.arguments),
                    environment: [], workingDirectory: request.workingDirectory, standardOutput: request.standardOutput,
                    standardError: request.standardError
                ) { reportPID.yield($0) }
            }
            var started = pids.makeAsyncIterator()
            let task = try #require(await started.next())
            serverProcess = try #require(parent(of: task))
            // ablate closes the socket (it ends, or dies): the server records the task's end, then exits.
            server.endRequests()
            #expect(await record(of: request) == ExitRecord(exitCode: 7))
            #expect(await attempt.value == .ended(task, nil), "a server ablate left answers no more: the exit record says how the task ended")
        }
        #expect(await Waiting.until(timeout: 10) { kill(serverProcess, 0) != 0 }, "the server exits once it serves nothing")
    }

    @Test func whenTheServerDiesWhatIsLeftOfItsTasksIsStoppedAndLaterOnesStartTheirOwnSupervisor() async throws {
        let (task, outcome) = try await launch(try request("first", "sleep 30; exit 4"))
        let server = try #require(parent(of: task))
        #expect(commandLine(of: server).dropFirst().first == "--serve")
        kill(server, SIGKILL)
        // Nothing would record how the task ends: it is stopped, and its attempt fails.
        let ended = try await outcome.value
        #expect(ended.exit == nil)
        #expect(ended.failure?.contains("its supervisor ended without recording how the task ended") == true)
        #expect(!LocalSession.isAlive(task), "what was left of the task was stopped")
        let (later, laterOutcome) = try await launch(try request("later", "sleep 1; exit 5"))
        #expect(parent(of: later) == getpid(), "started as a program of its own")
        #expect(try await laterOutcome.value == LaunchOutcome(exit: .exited(5)))
        // A log file that cannot be created is named there too.
        await expectAMissingLogDirectoryFailsTheStartNamingTheFile()
    }

    @Test func aMissingSupervisorFailsTheStartSayingWhereItBelongs() async throws {
        // No server can start, and the supervisor is looked for before it is started as a program.
        let missing = directory + "/bin/ablate-supervisor"
        let launcher = SubprocessLauncher(killGrace: 1, supervisor: SupervisorProgram(path: missing))
        await #expect {
            _ = try await launcher.launch(try request("unsupervised", "exit 0")) { _ in }
        } throws: { error in
            "\(error)".contains("it is not at \(missing): it is built with ablate and must be installed in the same directory")
        }
    }

    @Test func aCommandWithANULByteStartsItsSupervisorAsAProgram() async throws {
        // The protocol separates fields with NULs; such a command goes to swift-subprocess, which
        // ends each argument at its first NUL, as it did before there was a server.
        let (supervisor, outcome) = try await launch(try request("nul", "sleep 1; exit 6\u{0}; exit 7"))
        #expect(parent(of: supervisor) == getpid())
        #expect(try await outcome.value == LaunchOutcome(exit: .exited(6)))
    }
}
