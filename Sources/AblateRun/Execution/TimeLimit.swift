import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A task's time limit: SIGTERM to its group when it runs out, SIGKILL after the grace. The
/// waits are one structured task, cancelled when the process ends first.
final class TimeLimit: @unchecked Sendable {
    private let lock = NSLock()
    private var timer: Task<Void, Never>?
    private var didFire = false

    var fired: Bool { lock.withLock { didFire } }

    func arm(after seconds: Int, grace: Double, send: @escaping @Sendable (Int32) -> Void) {
        let timer = Task { [weak self] in
            guard (try? await Task.sleep(for: .seconds(max(0, seconds)))) != nil else { return }
            self?.lock.withLock { self?.didFire = true }
            send(SIGTERM)
            guard (try? await Task.sleep(for: .clampedSeconds(grace))) != nil else { return }
            send(SIGKILL)
        }
        lock.withLock { self.timer = timer }
    }

    func disarm() {
        lock.withLock { timer }?.cancel()
    }
}
