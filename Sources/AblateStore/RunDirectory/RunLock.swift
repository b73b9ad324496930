import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The lock that keeps two ablate processes off one run directory. It is an `flock` on
/// `lock`, which the kernel releases when its holder dies, even by SIGKILL; the file also
/// holds the holder's PID for messages.
public final class RunLock: @unchecked Sendable {
    private let descriptor: Int32
    /// The PID of a dead holder whose lock was taken over, if any.
    public let previousHolder: Int32?

    /// Takes the lock, or throws naming the process that holds it.
    public init(path: String) throws {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("cannot open the lock \(path)", errno) }
        let recorded = Self.recordedPID(descriptor)
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw RunLockError.held(pid: recorded)
        }
        previousHolder = recorded.flatMap { $0 != getpid() && $0 > 0 ? $0 : nil }
        ftruncate(descriptor, 0)
        let text = "\(getpid())\n"
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        fsync(descriptor)
    }

    private let released = NSLock()
    private var isReleased = false

    /// Gives the lock up, clearing the PID so the next holder knows it ended cleanly.
    public func release() {
        let first = released.withLock { () -> Bool in
            defer { isReleased = true }
            return !isReleased
        }
        guard first else { return }
        ftruncate(descriptor, 0)
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    deinit { release() }

    /// The PID written in a lock file, if any.
    public static func holder(path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// Whether a run's lock is held by a live process now.
    public static func isHeld(path: String) -> Bool {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return false
        }
        return true
    }

    private static func recordedPID(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(descriptor, &buffer, 31, 0)
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(count).prefix { $0 != 0 }, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

/// The run is locked by another ablate.
public enum RunLockError: Error, CustomStringConvertible {
    case held(pid: Int32?)

    public var description: String {
        switch self {
        case .held(let pid):
            return "the run is in use by another ablate (PID \(pid.map(String.init) ?? "unknown")); wait for it, or stop it with 'ablate cancel'"
        }
    }
}
