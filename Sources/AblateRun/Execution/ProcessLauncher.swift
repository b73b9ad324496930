import Foundation

/// What to start for one attempt of a task.
public struct LaunchRequest: Sendable {
    public var arguments: [String]
    /// Variables set on top of ablate's own environment.
    public var environment: [String: String]
    public var workingDirectory: String
    public var standardOutput: String
    public var standardError: String
}

/// How a process ended.
public enum ProcessExit: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)

    public var succeeded: Bool { self == .exited(0) }
}

/// Starts processes: the real one uses swift-subprocess; tests can stub it.
public protocol ProcessLauncher: Sendable {
    /// Starts the process in a session of its own (so its whole group can be signalled),
    /// reports its pid through `started`, and returns when it has ended. Throws only when the
    /// process cannot be started; a non-zero exit is a result.
    func launch(_ request: LaunchRequest, started: @escaping @Sendable (Int32) -> Void) async throws -> ProcessExit
}
