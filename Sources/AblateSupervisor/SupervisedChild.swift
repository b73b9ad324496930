#if canImport(Glibc)
    import Glibc
#endif

/// How the task's process ended.
enum ChildStatus: Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// Decodes a `waitpid` status (the W* macros are not imported into Swift).
    init(waitStatus status: Int32) {
        self = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
    }
}

/// The task's process (the leader of a process group of its own, in the supervisor's session)
/// and the time limit, as the signal handlers see them: plain values set before any handler is
/// installed, so that a handler only reads and writes words.
enum SupervisedChild {
    /// The task's pid, which is its process group's id too.
    nonisolated(unsafe) static var pid: pid_t = 0
    /// The stop signal that came before the task existed; it is passed on once it does.
    nonisolated(unsafe) static var earlySignal: Int32 = 0
    nonisolated(unsafe) static var timeLimitReached = false
    nonisolated(unsafe) static var graceMicroseconds = 0

    /// Signals passed on to the task's group (ablate's stop, a user's kill, the checkpoint
    /// warning): the supervisor outlives them, to record how the task ended.
    static let stopSignals = [SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    /// Installs the handlers: stop signals are passed on, SIGALRM is the time limit (SIGTERM to
    /// the task's group, then SIGKILL after the grace).
    static func installHandlers() {
        _ = (pid, earlySignal, timeLimitReached, graceMicroseconds)
        // Whoever started the supervisor may have blocked them (the mask is inherited).
        var handled = sigset_t()
        sigemptyset(&handled)
        for handledSignal in stopSignals + [SIGALRM] { sigaddset(&handled, handledSignal) }
        sigprocmask(SIG_UNBLOCK, &handled, nil)
        for stop in stopSignals {
            signal(stop) { received in
                if SupervisedChild.pid > 0 { kill(-SupervisedChild.pid, received) } else { SupervisedChild.earlySignal = received }
            }
        }
        signal(SIGALRM) { _ in
            guard SupervisedChild.pid > 0 else { return }
            if !SupervisedChild.timeLimitReached {
                SupervisedChild.timeLimitReached = true
                kill(-SupervisedChild.pid, SIGTERM)
                SupervisedChild.arm(microseconds: SupervisedChild.graceMicroseconds)
            } else {
                kill(-SupervisedChild.pid, SIGKILL)
            }
        }
    }

    /// SIGALRM after `microseconds` (0 disarms).
    static func arm(microseconds: Int) {
        var timer = itimerval()
        timer.it_value.tv_sec = microseconds / 1_000_000
        timer.it_value.tv_usec = microseconds % 1_000_000
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &timer, nil)
    }

    /// Starts the command with default signal dispositions and an empty signal mask, as the
    /// leader of a new process group; returns the errno of a failed start.
    static func spawn(_ command: [String]) -> Int32? {
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
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        var argv = argumentVector(command)
        defer { for argument in argv { free(argument) } }
        var started: pid_t = 0
        let failure = posix_spawn(&started, command[0], nil, &attributes, &argv, environ)
        guard failure == 0 else { return failure }
        pid = started
        if earlySignal != 0 { kill(-started, earlySignal) }
        return nil
    }

    /// `command` as the NUL-terminated array of C strings exec takes; the caller frees them.
    static func argumentVector(_ command: [String]) -> [UnsafeMutablePointer<CChar>?] {
        command.map { strdup($0) } + [nil]
    }

    /// Takes a task another process started (a warm interpreter's child, the leader of a group
    /// of its own) as the one whose group the signals and the time limit reach.
    static func adopt(_ started: pid_t) {
        pid = started
        if earlySignal != 0 { kill(-started, earlySignal) }
    }

    /// Kills what the task left in its group (a background child of a shell line) once it ended.
    static func killLeftovers() {
        if pid > 0 { kill(-pid, SIGKILL) }
    }

    /// Waits for the task to end.
    static func wait() -> ChildStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(127) }
        }
        return ChildStatus(waitStatus: status)
    }
}
