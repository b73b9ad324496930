import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// ablate-supervisor, the small program that supervises every local task (built and installed
/// beside `ablate`), as the run's resident server or as a process of the task's own: it records
/// the task's exit in the task's directory and enforces its time limit, so that the task
/// outlives ablate and a later `ablate resume` adopts it.
public struct SupervisorProgram: Sendable, Hashable {
    public static let name = "ablate-supervisor"

    public var path: String

    public init(path: String) {
        self.path = path
    }

    /// The supervisor beside an executable (`ablate`, or a test bundle in the build directory).
    public static func beside(executable: String) -> SupervisorProgram {
        let resolved = URL(fileURLWithPath: executable).resolvingSymlinksInPath()
        return SupervisorProgram(path: resolved.deletingLastPathComponent().appendingPathComponent(name).path)
    }

    /// The supervisor's command line around the task's: `--exit-record PATH [--time-limit S
    /// --grace G] [--warm SOCKET] -- PROGRAM ARGUMENT…` (PROGRAM an absolute path).
    func arguments(exitRecord: String, timeLimitSeconds: Int?, grace: Double, warmSocket: String? = nil, command: [String]) -> [String] {
        var arguments = ["--exit-record", exitRecord]
        if let timeLimitSeconds { arguments += ["--time-limit", String(timeLimitSeconds), "--grace", String(grace)] }
        if let warmSocket { arguments += ["--warm", warmSocket] }
        return arguments + ["--"] + command
    }

    /// Whether a handle's attempt is still supervised: its pid is alive and is its supervisor
    /// (its command line names the exit record), not a process that reused the pid, or it is a
    /// task the fork server supervises itself (its running marker is held, and names the pid).
    static func isRunning(_ group: Int32, exitRecord: String) -> Bool {
        guard group > 1 else { return false }
        if kill(group, 0) == 0 || errno == EPERM, Self.exitRecord(ofProcess: group) == exitRecord { return true }
        return RunningMarker.pid(recordingTo: exitRecord) == group
    }

    /// The pid of the attempt that will write `exitRecord`, while it is supervised: its
    /// supervisor's among `supervisors` (what `running` found), or the task's that a fork server
    /// supervises itself.
    static func supervisedAttempt(recordingTo exitRecord: String, supervisors: [String: Int32]) -> Int32? {
        supervisors[exitRecord] ?? RunningMarker.pid(recordingTo: exitRecord)
    }

    /// The supervisors running on this machine, by the exit record each writes: they find the
    /// attempts whose ablate died after starting them but before recording their groups.
    static func running() -> [String: Int32] {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        var found: [String: Int32] = [:]
        for pid in processes.compactMap(Int32.init) where pid > 1 {
            if let exitRecord = exitRecord(ofProcess: pid) { found[exitRecord] = pid }
        }
        return found
    }

    /// The `--exit-record` of a process, when it is a supervisor.
    private static func exitRecord(ofProcess pid: Int32) -> String? {
        guard let commandLine = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
        let arguments = commandLine.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.first?.hasSuffix(name) == true, let flag = arguments.firstIndex(of: "--exit-record"), flag + 1 < arguments.count else {
            return nil
        }
        return arguments[flag + 1]
    }

    /// The record the supervisor wrote, once it has.
    static func readExit(_ path: String) -> ExitRecord? {
        try? AtomicFile.readJSON(ExitRecord.self, from: path)
    }
}
