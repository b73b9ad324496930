import AblateStore
import Foundation

/// The attempts running now (process groups or Slurm jobs), so that a signal to ablate
/// reaches all of them, and whether the run is being stopped.
public final class ProcessRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private let launcher: any ProcessLauncher
    private var handles: [String: LaunchHandle] = [:]
    private var interruptions = 0

    public init(launcher: any ProcessLauncher) {
        self.launcher = launcher
    }

    func register(_ task: String, handle: LaunchHandle) {
        lock.withLock { handles[task] = handle }
    }

    func unregister(_ task: String) {
        lock.withLock { _ = handles.removeValue(forKey: task) }
    }

    /// How many times the run was asked to stop (Ctrl-C, SIGTERM, `ablate cancel`).
    public var interruptionCount: Int { lock.withLock { interruptions } }

    public var isInterrupted: Bool { interruptionCount > 0 }

    /// The first request asks every attempt to stop (then forces them after `grace`); a
    /// second one forces them at once.
    public func interrupt(grace: TimeInterval) {
        let (count, targets) = lock.withLock { () -> (Int, [LaunchHandle]) in
            interruptions += 1
            return (interruptions, Array(handles.values))
        }
        if count == 1 {
            launcher.stop(targets, force: false)
            Task { [weak self] in
                try? await Task.sleep(for: .clampedSeconds(grace))
                self?.killAll()
            }
        } else {
            killAll()
        }
    }

    /// Forces every attempt still registered to stop.
    public func killAll() {
        launcher.stop(lock.withLock { Array(handles.values) }, force: true)
    }
}
