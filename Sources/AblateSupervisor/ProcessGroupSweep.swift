#if canImport(Glibc)
    import Glibc
#endif

/// What a task left behind in the supervisor's process group (a background child of a shell
/// line) is killed once the task itself has ended, as it would be if ablate signalled the whole
/// group — which would take the supervisor with it before it could record the exit.
enum ProcessGroupSweep {
    /// SIGKILLs every other process of this process group; a few passes catch what forked
    /// meanwhile.
    static func killOthers() {
        let group = getpgrp()
        let me = getpid()
        for _ in 0..<5 {
            let others = members(of: group).filter { $0 != me }
            if others.isEmpty { return }
            for pid in others { kill(pid, SIGKILL) }
        }
    }

    /// The pids whose `/proc/PID/stat` names `group` as their process group.
    private static func members(of group: pid_t) -> [pid_t] {
        guard let directory = opendir("/proc") else { return [] }
        defer { closedir(directory) }
        var found: [pid_t] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = pid_t(name), let stat = read("/proc/\(name)/stat"), processGroup(inStat: stat) == group else { continue }
            found.append(pid)
        }
        return found
    }

    /// The fifth field of a stat line, after the command name in parentheses (which may itself
    /// hold spaces and parentheses): `pid (comm) state ppid pgrp …`.
    static func processGroup(inStat stat: String) -> pid_t? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 2 ? pid_t(fields[2]) : nil
    }

    private static func read(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
        return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
    }
}
