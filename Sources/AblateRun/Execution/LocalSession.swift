import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The processes of one local task: the task, or its supervisor, leads a session, and whatever
/// the task starts runs in it. Forcing a task to stop kills the whole session, since SIGKILL
/// cannot be passed on by a supervisor, and reaches what the task started in groups of their own.
enum LocalSession {
    /// SIGKILLs every process of the session led by `leader`; a few passes catch what forked
    /// meanwhile.
    static func kill(_ leader: Int32) {
        guard leader > 1 else { return }
        for _ in 0..<3 {
            let members = self.members(leader)
            if members.isEmpty { return }
            for pid in members { Glibc.kill(pid, SIGKILL) }
        }
    }

    /// Whether any process of the session is alive (zombies aside).
    static func isAlive(_ leader: Int32) -> Bool { leader > 1 && !members(leader).isEmpty }

    /// The pids whose `/proc/PID/stat` names `leader` as their session and that have not ended.
    private static func members(_ leader: Int32) -> [Int32] {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            // After the command name: state, ppid, pgrp, session.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 3 && fields[0] != "Z" && Int32(fields[3]) == leader
        }
    }
}
