import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The process groups of the tasks running now, so that a signal to ablate reaches all of
/// them, and whether the run is being stopped.
public final class ProcessRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var groups: [String: Int32] = [:]
    private var interruptions = 0

    public init() {}

    func register(_ task: String, group: Int32) {
        lock.withLock { groups[task] = group }
    }

    func unregister(_ task: String) {
        lock.withLock { _ = groups.removeValue(forKey: task) }
    }

    /// How many times the run was asked to stop (Ctrl-C, SIGTERM, `ablate cancel`).
    public var interruptionCount: Int { lock.withLock { interruptions } }

    public var isInterrupted: Bool { interruptionCount > 0 }

    /// The first request asks every task's group to stop (SIGTERM, then SIGKILL after
    /// `grace`); a second one kills at once.
    public func interrupt(grace: TimeInterval) {
        let (count, targets) = lock.withLock { () -> (Int, [Int32]) in
            interruptions += 1
            return (interruptions, Array(groups.values))
        }
        if count == 1 {
            for group in targets { kill(-group, SIGTERM) }
            DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [weak self] in
                self?.killAll()
            }
        } else {
            killAll()
        }
    }

    /// SIGKILL to every group still registered.
    public func killAll() {
        for group in lock.withLock({ Array(groups.values) }) { kill(-group, SIGKILL) }
    }

    /// Sends `signal` to one task's group, if it is running.
    func signal(_ task: String, _ signal: Int32) {
        if let group = lock.withLock({ groups[task] }) { kill(-group, signal) }
    }
}
