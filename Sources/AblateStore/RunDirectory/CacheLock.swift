import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lock that keeps `ablate gc` and `ablate rm` off the cache while runs use it: every
/// running ablate holds it shared for as long as it drives a run; gc and rm take it exclusively.
/// An `flock` on `<cache>/.lock`, released by the kernel when its holder dies.
public final class CacheLock: @unchecked Sendable {
    /// How the lock is held.
    public enum Mode: Sendable {
        /// A run reads and writes entries.
        case shared
        /// Entries are removed: no run may be active.
        case exclusive
    }

    private let descriptor: Int32
    private let lock = NSLock()
    private var isReleased = false

    /// Takes the lock; with `wait` false, throws `CacheLockError.busy` at once when it is held
    /// the other way.
    public init(cacheDirectory: String, mode: Mode, wait: Bool) throws {
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        let path = cacheDirectory + "/.lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("cannot open the lock \(path)", errno) }
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | (wait ? 0 : LOCK_NB)
        while flock(descriptor, operation) != 0 {
            if errno == EINTR { continue }
            close(descriptor)
            throw CacheLockError.busy
        }
    }

    /// Gives the lock up (once).
    public func release() {
        let first = lock.withLock { () -> Bool in
            defer { isReleased = true }
            return !isReleased
        }
        guard first else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit { release() }
}

/// The cache is in use the other way.
public enum CacheLockError: Error, CustomStringConvertible {
    case busy

    public var description: String { "the cache is in use by a running ablate" }
}
