import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A task's time limit: SIGTERM to its group when it runs out, SIGKILL after the grace.
final class TimeLimit: @unchecked Sendable {
    private let lock = NSLock()
    private var work: [DispatchWorkItem] = []
    private var didFire = false

    var fired: Bool { lock.withLock { didFire } }

    func arm(after seconds: Double, grace: Double, send: @escaping @Sendable (Int32) -> Void) {
        let terminate = DispatchWorkItem { [weak self] in
            self?.lock.withLock { self?.didFire = true }
            send(SIGTERM)
        }
        let kill = DispatchWorkItem { send(SIGKILL) }
        lock.withLock { work = [terminate, kill] }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: terminate)
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds + grace, execute: kill)
    }

    func disarm() {
        for item in lock.withLock({ work }) { item.cancel() }
    }
}
