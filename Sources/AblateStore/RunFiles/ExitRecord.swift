/// `tasks/<task>/exit-<attempt>.json`: how a local attempt ended, written by ablate-supervisor (at once,
/// by rename) when the task's process ends, so that an ablate that was not there when it ended
/// still learns it. One of `exitCode` and `signal` is set.
public struct ExitRecord: Codable, Hashable, Sendable {
    public var exitCode: Int32?
    public var signal: Int32?
    /// The supervisor stopped the task at its time limit.
    public var timedOut: Bool

    public init(exitCode: Int32? = nil, signal: Int32? = nil, timedOut: Bool = false) {
        self.exitCode = exitCode
        self.signal = signal
        self.timedOut = timedOut
    }

    /// The process's end, when the record names one.
    public var exit: ProcessExit? {
        if let exitCode { return .exited(exitCode) }
        return signal.map(ProcessExit.signaled)
    }
}
