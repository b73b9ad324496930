import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The processes of one local task: the task, or its supervisor, leads a session, and whatever
/// the task starts runs in it. Forcing a task to stop kills the whole session, since SIGKILL
/// cannot be passed on by a supervisor, and reaches what the task started in groups of their own.
enum LocalSession {
    /// SIGKILLs every process of the session led by `leader`, and returns once none is left
    /// (what forked meanwhile is killed in the next pass). A killed process ends when it next
    /// runs, which on a busy machine takes a moment: three passes in a row could all find it
    /// still there, and return while it was. A process that has not ended after a second (stuck
    /// in the kernel) is left to end on its own.
    static func kill(_ leader: Int32) {
        guard leader > 1 else { return }
        let deadline = ContinuousClock.now + .seconds(1)
        while true {
            let members = self.members(leader)
            guard !members.isEmpty else { return }
            for pid in members { Glibc.kill(pid, SIGKILL) }
            guard ContinuousClock.now < deadline else { return }
            usleep(2_000)
        }
    }

    /// Whether any process of the session is alive (zombies aside).
    static func isAlive(_ leader: Int32) -> Bool { leader > 1 && !members(leader).isEmpty }

    /// The pids whose `/proc/PID/stat` names `leader` as their session and that have not ended
    /// (a zombie, or a process being torn down, has).
    private static func members(_ leader: Int32) -> [Int32] {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.compactMap(Int32.init).filter { pid in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
            // After the command name: state, ppid, pgrp, session.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 3 && fields[0] != "Z" && fields[0] != "X" && Int32(fields[3]) == leader
        }
    }
}
