#if canImport(Glibc)
    import Glibc
#endif

/// Starts a process that stays while ablate runs tasks (a warm interpreter, the supervisors'
/// fork server): the leader of a session of its own, so that a terminal's Ctrl-C and hang-up
/// reach ablate and not it, with the default signal dispositions and an empty signal mask,
/// whatever ablate blocks or handles.
enum ResidentProcess {
    /// What one of the process's standard descriptors is.
    enum Stream {
        /// A copy of one of ablate's descriptors.
        case descriptor(Int32)
        /// A file opened for it.
        case file(String, flags: Int32)
    }

    /// Starts `arguments` (the first a path) with `environment` (`NAME=VALUE`) and its standard
    /// input, output and error; nil when it cannot be started.
    static func spawn(_ arguments: [String], environment: [String], streams: (input: Stream, output: Stream, error: Stream)) -> pid_t? {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, stream) in [(Int32(0), streams.input), (1, streams.output), (2, streams.error)] {
            switch stream {
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, target)
            case .file(let path, let flags): posix_spawn_file_actions_addopen(&actions, target, path, flags, 0o644)
            }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        // POSIX_SPAWN_SETSID (glibc 2.26): the process leads a new session.
        let setSession: Int16 = 0x80
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK) | setSession)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        guard let program = arguments.first, posix_spawn(&pid, program, &actions, &attributes, &argv, &envp) == 0 else { return nil }
        return pid
    }
}
