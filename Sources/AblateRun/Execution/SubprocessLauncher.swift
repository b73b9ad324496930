import AblateCore
import AblateStore
import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Starts tasks on this machine with swift-subprocess: arguments as an array (no shell), stdin
/// closed, stdout and stderr straight into the task's log files, each task in a new session
/// and process group, stopped at its time limit (SIGTERM, then SIGKILL after `killGrace`).
public struct SubprocessLauncher: ProcessLauncher {
    /// Seconds between SIGTERM and SIGKILL when a task runs out of time.
    public var killGrace: Double

    public init(killGrace: Double = 10) {
        self.killGrace = killGrace
    }

    public var executor: Executor.Kind { .local }

    public func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome {
        guard let program = request.arguments.first else { throw LaunchError.emptyCommand }
        let output = try FileDescriptor.open(
            FilePath(request.standardOutput), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        let error = try FileDescriptor.open(
            FilePath(request.standardError), .writeOnly, options: [.create, .truncate], permissions: [.ownerReadWrite, .groupRead, .otherRead])
        var options = PlatformOptions()
        options.createSession = true
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in request.environment {
            if let key = Environment.Key(rawValue: name) { updates[key] = value }
        }
        // Looking the program up once, here, spares a failed spawn for every PATH entry before it.
        let path = request.environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        guard let resolved = program.contains("/") ? program : ExecutableLookup.shared.find(program, in: path) else {
            throw LaunchError.cannotStart(program, "no such program on PATH")
        }
        let executable: Executable = .path(FilePath(resolved))
        let result: ExecutionResult<Void, FileDescriptorOutput, FileDescriptorOutput>
        let timer = TimeLimit()
        defer { timer.disarm() }
        do {
            result = try await run(
                executable, arguments: Arguments(Array(request.arguments.dropFirst())), environment: .inherit.updating(updates),
                workingDirectory: FilePath(request.workingDirectory), platformOptions: options, input: .none,
                output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                error: .fileDescriptor(error, closeAfterSpawningProcess: true)
            ) { execution in
                let group = execution.processIdentifier.value
                if let limit = request.resources.timeLimitSeconds {
                    timer.arm(after: limit, grace: killGrace) { signal in kill(-group, signal) }
                }
                started(.processGroup(group))
            }
        } catch let failure as SubprocessError {
            throw LaunchError.cannotStart(program, "\(failure)")
        }
        // Children the task left behind in its group go with it.
        if case let pid = result.processIdentifier.value, pid > 0 { kill(-pid, SIGKILL) }
        switch result.terminationStatus {
        case .exited(let code): return LaunchOutcome(exit: .exited(code), timedOut: timer.fired)
        case .signaled(let signal): return LaunchOutcome(exit: .signaled(signal), timedOut: timer.fired)
        }
    }

    /// A local process is a child of the ablate that started it: another ablate cannot wait
    /// for it, so its task runs again.
    public func canFollow(_ handle: LaunchHandle) -> Bool { false }

    public func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome {
        throw CannotFollow(handle: handle)
    }

    /// Signals the process groups: SIGTERM, or SIGKILL when forced.
    public func stop(_ handles: [LaunchHandle], force: Bool) {
        for group in Self.groups(handles) { kill(-group, force ? SIGKILL : SIGTERM) }
    }

    /// Kills what is left of the group.
    public func recover(_ handle: LaunchHandle) async throws {
        for group in Self.groups([handle]) where kill(-group, 0) == 0 { kill(-group, SIGKILL) }
    }

    /// Kills the groups that are still alive.
    public func cancelAbandoned(_ handles: [LaunchHandle]) async throws -> [LaunchHandle] {
        let alive = Self.groups(handles).filter { kill(-$0, 0) == 0 }
        for group in alive { kill(-group, SIGKILL) }
        return alive.map { .processGroup($0) }
    }

    /// The process groups among the handles (a group id of 0 or 1 would signal far more).
    private static func groups(_ handles: [LaunchHandle]) -> [Int32] {
        handles.compactMap { handle in
            if case .processGroup(let group) = handle, group > 1 { return group }
            return nil
        }
    }
}

/// Finds programs on PATH, remembering what it found.
final class ExecutableLookup: @unchecked Sendable {
    static let shared = ExecutableLookup()
    private let lock = NSLock()
    private var found: [String: String] = [:]

    func find(_ program: String, in path: String) -> String? {
        let key = path + "\0" + program
        if let known = lock.withLock({ found[key] }) { return known }
        for directory in path.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            if access(candidate, X_OK) == 0, FileManager.default.fileExists(atPath: candidate) {
                lock.withLock { found[key] = candidate }
                return candidate
            }
        }
        return nil
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
