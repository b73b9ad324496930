import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where tests put their files: every path under one directory per test process,
/// `$TMPDIR/ablate-test-process-<pid>`, which is removed when the process exits (with those of
/// earlier test processes that were killed before they could remove theirs), so that a run of the
/// suite leaves nothing behind in the temporary directory.
public enum Scratch {
    private static let prefix = "ablate-test-process-"

    /// The process's scratch directory, created on first use.
    public static let root: String = {
        let temporary = NSTemporaryDirectory()
        removeDeadProcessesDirectories(in: temporary)
        let root = temporary + prefix + String(getpid())
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: Scratch.root) }
        return root
    }()

    /// A fresh path in the scratch directory, `<name>-<UUID>`; nothing is created there.
    public static func path(_ name: String) -> String {
        root + "/" + name + "-" + UUID().uuidString
    }

    /// Removes the scratch directories of test processes that no longer run.
    private static func removeDeadProcessesDirectories(in temporary: String) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where entry.hasPrefix(prefix) {
            guard let pid = pid_t(entry.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: temporary + entry)
        }
    }
}
