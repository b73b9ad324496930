import Foundation
import Subprocess
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// Finds programs on PATH, remembering what it found. Looking a program up here costs an
/// `access` per directory; starting it by name instead costs a failed process start per
/// directory before the one that holds it (tens of milliseconds for a tool that is not
/// installed, such as `nvidia-smi` on a machine without GPUs).
public final class ExecutableLookup: @unchecked Sendable {
    public static let shared = ExecutableLookup()
    private let lock = NSLock()
    private var found: [String: String] = [:]

    /// The first executable file named `program` in the directories of `path`.
    public func find(_ program: String, in path: String) -> String? {
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

    /// `program` on ablate's own PATH.
    public func find(_ program: String) -> String? {
        find(program, in: ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
    }

    /// `program` on ablate's own PATH, to start by its path.
    public func executable(_ program: String) -> Executable? {
        find(program).map { .path(FilePath($0)) }
    }
}
