import AblateCore
import AblateStore
import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Starts tasks on this machine: arguments as an array (no shell), stdin closed, stdout and
/// stderr straight into the task's log files, each task supervised by ablate-supervisor, which
/// enforces the time limit (SIGTERM to the task's process group, then SIGKILL after
/// `killGrace`) and records the exit, so that a task outlives the ablate that started it and a
/// later one follows it to its end. The launcher's resident `ablate-supervisor --serve`
/// (`SupervisorForkServer`) starts each task as the leader of a session of its own and
/// supervises it itself; a built-in stage's task, which its environment's warm interpreter
/// forks where there is one, gets a supervisor of its own, forked by the server. When the
/// server cannot run, each task's supervisor is started here with swift-subprocess, as a
/// program of its own that leads a new session and runs the task as a process group of its own,
/// passing stop signals on to it.
public struct SubprocessLauncher: ProcessLauncher {
    /// Seconds between SIGTERM and SIGKILL when a task runs out of time.
    public var killGrace: Double
    /// The supervisor tasks run under; nil for a launcher that only follows, stops and recovers
    /// attempts (`plan --explain`, `cancel`).
    public var supervisor: SupervisorProgram?
    /// The warm interpreters that start built-in stages; nil starts every task cold.
    public var warm: WarmInterpreters?
    /// The resident supervisor that forks each task's supervisor; nil without a supervisor.
    private let forkServer: SupervisorForkServerSlot?
    /// How often an attempt an earlier ablate started is looked at while it is followed.
    var followInterval: Duration = .milliseconds(250)
    /// ablate's environment, read once, as `NAME=VALUE` C strings: tasks get it with their own
    /// variables on top (reading and converting it again for every task cost more than the
    /// rest of a start).
    private let inherited: [(name: String, entry: [UInt8])]
    private let inheritedPath: String?

    public init(killGrace: Double = 10, supervisor: SupervisorProgram?, warm: WarmInterpreters? = nil) {
        self.killGrace = killGrace
        self.supervisor = supervisor
        self.warm = warm
        forkServer = supervisor.map(SupervisorForkServerSlot.init(program:))
        let environment = ProcessInfo.processInfo.environment
        inherited = environment.map { ($0, Self.entry($0, $1)) }
        inheritedPath = environment["PATH"]
    }

    private static func entry(_ name: String, _ value: String) -> [UInt8] { Array("\(name)=\(value)\0".utf8) }

    public var executor: Executor.Kind { .local }

    public func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome {
        guard let program = request.arguments.first else { throw LaunchError.emptyCommand }
        guard let supervisor else { throw Self.supervisorMissing(at: nil) }
        let environment =
            inherited.lazy.filter { request.environment[$0.name] == nil }.map(\.entry)
            + request.environment.map { Self.entry($0, $1) }
        // Looking the program up once, here, spares a failed spawn for every PATH entry before it.
        let path = request.environment["PATH"] ?? inheritedPath ?? "/usr/bin:/bin"
        guard let resolved = program.contains("/") ? program : ExecutableLookup.shared.find(program, in: path) else {
            throw LaunchError.cannotStart(program, "no such program on PATH")
        }
        let absolute = resolved.hasPrefix("/") ? resolved : request.workingDirectory + "/" + resolved
        // An earlier attempt's record must not be taken for this one's.
        unlink(request.exitRecord)
        let arguments = supervisor.arguments(
            exitRecord: request.exitRecord, timeLimitSeconds: request.resources.timeLimitSeconds, grace: killGrace,
            warmSocket: warm?.socket(for: request), command: [absolute] + request.arguments.dropFirst())
        if let outcome = try await launchForked(request, supervisorArguments: arguments, environment: Array(environment), started: started) {
            return outcome
        }
        // Looked for here, not for every attempt: a fork server runs, the supervisor is there.
        guard FileManager.default.isExecutableFile(atPath: supervisor.path) else { throw Self.supervisorMissing(at: supervisor.path) }
        let output = try Self.openLog(request.standardOutput, of: program)
        let error = try Self.openLog(request.standardError, of: program)
        var options = PlatformOptions()
        options.createSession = true
        let result: ExecutionResult<Void, FileDescriptorOutput, FileDescriptorOutput>
        do {
            result = try await run(
                .path(FilePath(supervisor.path)), arguments: Arguments(arguments),
                environment: .custom(environment),
                workingDirectory: FilePath(request.workingDirectory), platformOptions: options, input: .none,
                output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                error: .fileDescriptor(error, closeAfterSpawningProcess: true)
            ) { execution in
                started(.processGroup(execution.processIdentifier.value, exitRecord: request.exitRecord))
            }
        } catch let failure as SubprocessError {
            throw LaunchError.cannotStart(program, "\(failure)")
        }
        if let outcome = Self.recordedOutcome(request.exitRecord) { return outcome }
        // The supervisor itself was killed (SIGKILL to the group) before it could record anything.
        switch result.terminationStatus {
        case .exited(let code): return LaunchOutcome(exit: .exited(code))
        case .signaled(let signal): return LaunchOutcome(exit: .signaled(signal))
        }
    }

    private static func supervisorMissing(at path: String?) -> LaunchError {
        .cannotStart(
            SupervisorProgram.name,
            "it is not at \(path ?? "its place beside ablate"): it is built with ablate and must be installed in the same directory")
    }

    /// Has the fork server start the attempt; nil when there is no server (any more), and the
    /// supervisor is started as a program of its own.
    private func launchForked(
        _ request: LaunchRequest, supervisorArguments: [String], environment: [[UInt8]], started: @escaping @Sendable (LaunchHandle) -> Void
    ) async throws -> LaunchOutcome? {
        guard let server = forkServer?.current else { return nil }
        let exitRecord = request.exitRecord
        let attempt = await server.run(
            arguments: supervisorArguments, environment: environment, workingDirectory: request.workingDirectory,
            standardOutput: request.standardOutput, standardError: request.standardError
        ) { pid in started(.processGroup(pid, exitRecord: exitRecord)) }
        switch attempt {
        case .ended(let pid, nil): return try await follow(.processGroup(pid, exitRecord: exitRecord), resources: request.resources)
        case .ended(_, let end?):
            // The server says how a task it supervised ended; a supervisor's record says it.
            if let timedOut = end.timedOut { return LaunchOutcome(exit: Self.exit(waitStatus: end.waitStatus), timedOut: timedOut) }
            return Self.recordedOutcome(exitRecord) ?? LaunchOutcome(exit: Self.exit(waitStatus: end.waitStatus))
        case .failed(let reason): throw LaunchError.cannotStart(request.arguments[0], reason)
        case .unavailable: return nil
        }
    }

    /// An attempt that is still supervised, or whose end was recorded. Looked at in that order:
    /// a supervisor writes the record before it stops being one, so an attempt whose supervisor
    /// ended between the two looks has its record.
    public func canFollow(_ handle: LaunchHandle) -> Bool {
        guard case .processGroup(let group, let exitRecord?) = handle else { return false }
        return SupervisorProgram.isRunning(group, exitRecord: exitRecord) || FileManager.default.fileExists(atPath: exitRecord)
    }

    /// Waits for the attempt's exit record (its supervisor enforces the time limit). When the
    /// supervisor is gone with no record written (it was killed), what is left of the task is
    /// stopped: nothing would record its end, and the task may run again.
    public func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome {
        guard case .processGroup(let group, let exitRecord?) = handle else { throw CannotFollow(handle: handle) }
        while true {
            // Looked at before the record: a supervisor that has ended wrote its record first.
            let running = SupervisorProgram.isRunning(group, exitRecord: exitRecord)
            if let outcome = Self.recordedOutcome(exitRecord) { return outcome }
            guard running else {
                let left = LocalSession.isAlive(group)
                if left { LocalSession.kill(group) }
                let stopped = left ? "; what was left of the task was stopped" : ""
                return LaunchOutcome(exit: nil, failure: "its supervisor ended without recording how the task ended (process \(group))\(stopped)")
            }
            try await Task.sleep(for: followInterval)
        }
    }

    /// Creates (or empties) one of the task's log files; a failure names the file, as the fork
    /// server's does.
    private static func openLog(_ path: String, of program: String) throws -> FileDescriptor {
        do {
            return try FileDescriptor.open(
                FilePath(path), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        } catch {
            throw LaunchError.cannotStart(program, "cannot open '\(path)': \(error)")
        }
    }

    /// Decodes a `waitpid` status (the W* macros are not imported into Swift).
    private static func exit(waitStatus status: Int32) -> ProcessExit {
        status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }

    /// The end the supervisor recorded, once it has.
    private static func recordedOutcome(_ exitRecord: String) -> LaunchOutcome? {
        guard let record = SupervisorProgram.readExit(exitRecord), let exit = record.exit else { return nil }
        return LaunchOutcome(exit: exit, timedOut: record.timedOut)
    }

    /// SIGTERM to each supervisor's group, which it passes on to its task's; when forced,
    /// SIGKILL to every process of each task's session.
    public func stop(_ handles: [LaunchHandle], force: Bool) {
        for group in Self.groups(handles) {
            if force { LocalSession.kill(group) } else { kill(-group, SIGTERM) }
        }
    }

    /// Kills what is left of the task's session.
    public func recover(_ handle: LaunchHandle) async throws {
        for group in Self.groups([handle]) { LocalSession.kill(group) }
    }

    /// Kills the sessions that are still alive.
    public func cancelAbandoned(_ handles: [LaunchHandle]) async throws -> [LaunchHandle] {
        let alive = handles.filter { handle in Self.groups([handle]).contains(where: LocalSession.isAlive) }
        stop(alive, force: true)
        return alive
    }

    /// The process groups among the handles (a group id of 0 or 1 would signal far more).
    private static func groups(_ handles: [LaunchHandle]) -> [Int32] {
        handles.compactMap { handle in
            if case .processGroup(let group, _) = handle, group > 1 { return group }
            return nil
        }
    }
}

/// A task's process could not be started.
public enum LaunchError: Error, CustomStringConvertible {
    case emptyCommand
    case cannotStart(String, String)

    public var description: String {
        switch self {
        case .emptyCommand: return "the task has an empty command"
        case .cannotStart(let program, let reason): return "cannot start '\(program)': \(reason)"
        }
    }
}
