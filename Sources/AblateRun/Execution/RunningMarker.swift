import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The running marker of a task the fork server supervises itself: the exit record's path with
/// `.running` appended, locked (`flock`) by the server for as long as it supervises the task,
/// and holding the task's pid (written by the supervisor's `ServedTasks`). It is how an ablate
/// with no connection to that server (one that resumes a run) tells that the task runs, and
/// finds its pid when no record names it.
enum RunningMarker {
    static let suffix = ".running"

    /// The pid of the task whose exit record will be `exitRecord`, while its server supervises
    /// it; nil when no server does (the task ended and was recorded, or was never started here).
    /// The server takes the lock before it starts the task and writes the pid just after: a
    /// marker held with no pid yet is read again until it has one.
    static func pid(recordingTo exitRecord: String) -> Int32? {
        let descriptor = open(exitRecord + suffix, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        for _ in 0..<pidReadings {
            // A lock this reader can take means that no server holds it.
            guard flock(descriptor, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK else { return nil }
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = pread(descriptor, &bytes, bytes.count, 0)
            let text = count > 0 ? String(decoding: bytes[0..<count], as: UTF8.self) : ""
            // The pid and its newline, written at once (the record that replaces it is JSON).
            if text.hasSuffix("\n"), let pid = Int32(text.dropLast()) { return pid }
            usleep(1000)
        }
        return nil
    }

    /// How many times a held marker with no pid is read, a millisecond apart: a server that has
    /// not written the pid in that time is stuck, and the task is taken as not running.
    private static let pidReadings = 2000
}
