#if canImport(Glibc)
    import Glibc
#endif

/// How the task ended, written where ablate reads it (`tasks/<task>/exit.json`, read as
/// `AblateStore.ExitRecord`) at once, through a temporary file and a rename, so that a reader
/// sees the whole record or none. Not fsynced: the record is read while this machine runs (an
/// ablate that died and the one that resumes); after a machine crash there is no record, and
/// the task runs again, as it must, since the process is gone too.
enum ExitRecordFile {
    /// `{"exitCode":0,"timedOut":false}` or `{"signal":9,"timedOut":true}`.
    static func json(_ status: ChildStatus, timedOut: Bool) -> String {
        let ending: String
        switch status {
        case .exited(let code): ending = "\"exitCode\":\(code)"
        case .signaled(let signal): ending = "\"signal\":\(signal)"
        }
        return "{\(ending),\"timedOut\":\(timedOut)}\n"
    }

    /// Writes the record; false when any step failed (the supervisor's own exit status then
    /// still tells ablate how the task ended, when ablate is there to see it).
    static func write(_ text: String, to path: String) -> Bool {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return false }
        let bytes = Array(text.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }
}
