import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// ablate-supervisor with `--warm`: a real warm interpreter (`python -m ablate_runners.warm`,
/// importing nothing here) forks the task, and everything the supervisor does for a task it
/// started itself still holds: the exit is recorded and mirrored, stop signals reach the task,
/// the time limit ends it, a forced stop kills it, and a task the interpreter refuses starts cold.
@Suite(.serialized) struct WarmStartTests {
    static let runners = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/Runners"
    let directory = Scratch.path("warm")
    let supervisor = SupervisorProgram.beside(executable: CommandLine.arguments[0])

    /// A module the tasks run: writes its pid and parent's pid, then does what its arguments say.
    static let probe = """
        import os, signal, sys, time
        open(sys.argv[1], "w").write(f"{os.getpid()} {os.getppid()}")
        if sys.argv[2] == "trap":
            signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
        if sys.argv[2] == "ignore":
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if sys.argv[2] in ("trap", "ignore", "sleep"):
            time.sleep(30)
        sys.exit(int(sys.argv[2]))
        """

    /// The interpreter itself, not a shim in front of it: the warm interpreter serves only its own.
    static let python: String? = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let output = Pipe()
        process.standardOutput = output
        guard (try? process.run()) != nil else { return nil }
        let path = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        process.waitUntilExit()
        return process.terminationStatus == 0 && !path.isEmpty ? path : nil
    }()

    init() throws {
        try FileManager.default.createDirectory(atPath: directory + "/modules", withIntermediateDirectories: true)
        try Self.probe.write(toFile: directory + "/modules/probe.py", atomically: true, encoding: .utf8)
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PYTHONPATH"] = Self.runners + ":" + directory + "/modules"
        return environment
    }

    /// Starts a warm interpreter and waits until it serves.
    func startInterpreter() async throws -> (process: Spawned, socket: String) {
        let python = try #require(Self.python)
        let socket = "ablate-warm-test-\(UUID().uuidString.prefix(8))"
        let log = directory + "/\(socket).log"
        let process = try Spawned(
            [python, "-m", "ablate_runners.warm", "--socket", socket, "--parent", String(getpid()), "--preload"], environment: environment, output: log)
        let deadline = Date().addingTimeInterval(20)
        while !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("serving") {
            #expect(Processes.isAlive(process.pid) && Date() < deadline)
            guard Processes.isAlive(process.pid) && Date() < deadline else { break }
            try await Task.sleep(for: .seconds(0.05))
        }
        return (process, socket)
    }

    /// Starts the supervisor on the probe module; returns it and the files it names.
    func supervise(_ mode: String, socket: String, flags: [String] = [], variables: [String: String] = [:]) throws -> (Spawned, record: String, marker: String)
    {
        let python = try #require(Self.python)
        let marker = directory + "/pid-\(UUID().uuidString)"
        let record = directory + "/exit-\(UUID().uuidString).json"
        let process = try Spawned(
            [supervisor.path, "--exit-record", record, "--warm", socket] + flags + ["--", python, "-m", "probe", marker, mode],
            environment: environment.merging(variables) { $1 }, output: "/dev/null")
        return (process, record, marker)
    }

    /// The task's pid and its parent's, once it has written them.
    func pids(_ marker: String) async -> (pid: Int32, parent: Int32)? {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: marker, encoding: .utf8) {
                let parts = text.split(separator: " ").compactMap { Int32($0) }
                if parts.count == 2 { return (parts[0], parts[1]) }
            }
            try? await Task.sleep(for: .seconds(0.02))
        }
        return nil
    }

    @Test(.enabled(if: python != nil)) func theWarmInterpreterForksTheTaskAndItsExitIsRecordedAndMirrored() async throws {
        let (interpreter, socket) = try await startInterpreter()
        defer { interpreter.stop() }
        let (process, record, marker) = try supervise("3", socket: socket)
        #expect(await process.wait() == 3)
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(exitCode: 3))
        await #expect(pids(marker)?.parent == interpreter.pid, "the warm interpreter forked it")
    }

    @Test(.enabled(if: python != nil)) func aStopSignalToTheSupervisorReachesTheWarmTask() async throws {
        let (interpreter, socket) = try await startInterpreter()
        defer { interpreter.stop() }
        let (process, record, marker) = try supervise("trap", socket: socket)
        await #expect(pids(marker)?.parent == interpreter.pid)
        kill(process.pid, SIGTERM)
        #expect(await process.wait() == 7, "the task's handler ran, and the supervisor ended as the task did")
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(exitCode: 7))
    }

    @Test(.enabled(if: python != nil)) func theTimeLimitEndsAWarmTask() async throws {
        let (interpreter, socket) = try await startInterpreter()
        defer { interpreter.stop() }
        let started = Date()
        let (process, record, marker) = try supervise("ignore", socket: socket, flags: ["--time-limit", "1", "--grace", "1"])
        await #expect(pids(marker)?.parent == interpreter.pid)
        _ = await process.wait()
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(signal: SIGKILL, timedOut: true))
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test(.enabled(if: python != nil)) func killingTheSupervisorsSessionEndsTheWarmTaskToo() async throws {
        let (interpreter, socket) = try await startInterpreter()
        defer { interpreter.stop() }
        let (process, _, marker) = try supervise("sleep", socket: socket)
        let task = try #require(await pids(marker))
        #expect(task.parent == interpreter.pid)
        kill(process.pid, SIGKILL)
        _ = await process.wait()
        let deadline = Date().addingTimeInterval(10)
        while Processes.isAlive(task.pid) && Date() < deadline { try await Task.sleep(for: .seconds(0.05)) }
        #expect(!Processes.isAlive(task.pid), "the interpreter killed the task whose supervisor went away")
    }

    @Test(.enabled(if: python != nil)) func aTaskTheInterpreterRefusesStartsCold() async throws {
        let (interpreter, socket) = try await startInterpreter()
        defer { interpreter.stop() }
        // A cache the libraries would read when imported differs from the interpreter's.
        let (process, record, marker) = try supervise("4", socket: socket, variables: ["HF_HOME": directory + "/elsewhere"])
        #expect(await process.wait() == 4)
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(exitCode: 4))
        await #expect(pids(marker)?.parent == process.pid, "the supervisor started it itself")
    }

    @Test(.enabled(if: python != nil)) func withoutAnInterpreterTheTaskStartsCold() async throws {
        let (process, record, marker) = try supervise("5", socket: "ablate-warm-test-nobody-\(UUID().uuidString.prefix(8))")
        #expect(await process.wait() == 5)
        #expect(try AtomicFile.readJSON(ExitRecord.self, from: record) == ExitRecord(exitCode: 5))
        await #expect(pids(marker)?.parent == process.pid)
    }
}

/// A process started with posix_spawn and waited for with waitpid, which sees its end however
/// many other children the test process has.
final class Spawned {
    let pid: pid_t

    init(_ arguments: [String], environment: [String: String], output: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv + envp { free(pointer) }
        }
        // The test process's threads may block signals: the child starts with none blocked.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var started: pid_t = 0
        guard posix_spawn(&started, arguments[0], &actions, &attributes, &argv, &envp) == 0 else { throw CocoaError(.executableLoad) }
        pid = started
    }

    /// The exit status (128 + the signal for a process ended by one), waited for on a thread of
    /// its own (see `onOwnThread`).
    func wait() async -> Int32 {
        let pid = pid
        return (try? await onOwnThread { Self.reap(pid) }) ?? -1
    }

    /// SIGTERM, then reaped.
    func stop() {
        kill(pid, SIGTERM)
        _ = Self.reap(pid)
    }

    private static func reap(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
