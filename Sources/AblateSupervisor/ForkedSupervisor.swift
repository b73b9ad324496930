#if canImport(Glibc)
    import Glibc
#endif

/// What a supervisor the fork server forked does before it supervises its task, so that it is
/// what `ablate-supervisor ARGUMENT…` started by ablate would be: the leader of a new session,
/// its standard input `/dev/null` and its output and error the task's log files, in the task's
/// working directory, with the task's environment, and `ablate-supervisor --exit-record PATH`
/// as its command line (what `ps`, `ablate status` and a resuming ablate read to tell a
/// supervisor from a process that took its pid).
enum ForkedSupervisor {
    /// A step that failed, and why.
    struct Failure: Error {
        var reason: String
    }

    /// Sets the process up for `request`; returns the arguments to supervise the task with.
    static func prepare(_ request: ForkRequest) throws(Failure) -> SupervisorArguments {
        setsid()
        try redirect(request.standardOutput, to: 1, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try redirect(request.standardError, to: 2, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try redirect("/dev/null", to: 0, flags: O_RDONLY)
        guard chdir(request.workingDirectory) == 0 else {
            throw Failure(reason: "cannot enter '\(request.workingDirectory)': \(String(cString: strerror(errno)))")
        }
        // The server emptied its own environment when it started: these are the whole of it.
        // putenv keeps each string as the variable: they are never freed.
        for entry in request.environment { putenv(strdup(entry)) }
        guard let arguments = SupervisorArguments.parse(request.arguments) else {
            throw Failure(reason: "ablate-supervisor refused its arguments (the task's standard error says why)")
        }
        guard setTitle(["--exit-record", arguments.exitRecord]) else {
            throw Failure(reason: "the exit record's path is too long to show as the supervisor's command line")
        }
        return arguments
    }

    /// Opens `path` as descriptor `target`.
    private static func redirect(_ path: String, to target: Int32, flags: Int32) throws(Failure) {
        let descriptor = open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(reason: "cannot open '\(path)': \(String(cString: strerror(errno)))") }
        // Opened as the target itself (it was closed): only close-on-exec is to be cleared.
        guard descriptor != target else {
            _ = fcntl(target, F_SETFD, 0)
            return
        }
        // dup2 leaves close-on-exec off on the copy.
        defer { close(descriptor) }
        guard dup2(descriptor, target) == target else {
            throw Failure(reason: "cannot open '\(path)' as descriptor \(target): \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `words` after the program's name over the server's own arguments (the room the
    /// server was started with), so that `/proc/PID/cmdline` shows them; false when they do not fit.
    private static func setTitle(_ words: [String]) -> Bool {
        let argv = CommandLine.unsafeArgv
        let count = Int(CommandLine.argc)
        guard count >= 2, let first = argv[1], let last = argv[count - 1] else { return false }
        let room = last + strlen(last) + 1 - first
        let title = words.flatMap { Array($0.utf8) + [0] } as [UInt8]
        guard room > 0, title.count <= room else { return false }
        memset(first, 0, room)
        for (offset, byte) in title.enumerated() { first[offset] = CChar(bitPattern: byte) }
        return true
    }
}
