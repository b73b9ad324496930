#if canImport(Glibc)
    import Glibc
#endif

/// One task under supervision, from its start to the supervisor's exit: started by this process
/// (or forked by a warm interpreter), its time limit enforced, what it left in its group killed,
/// its end recorded, and the supervisor exiting as the task did.
enum Supervision {
    static func run(_ arguments: SupervisorArguments) -> Never {
        SupervisedChild.graceMicroseconds = Int(arguments.graceSeconds * 1_000_000)
        SupervisedChild.installHandlers()
        let warm = arguments.warmSocket.flatMap { WarmStart.start(socketName: $0, command: arguments.command) }
        if let warm {
            SupervisedChild.adopt(warm.pid)
        } else if let failure = SupervisedChild.spawn(arguments.command) {
            let message = "ablate-supervisor: cannot start '\(arguments.command[0])': \(String(cString: strerror(failure)))\n"
            _ = message.withCString { write(2, $0, strlen($0)) }
            _ = ExitRecordFile.write(ExitRecordFile.json(.exited(127), timedOut: false), to: arguments.exitRecord)
            exit(127)
        }
        if let limit = arguments.timeLimitSeconds { SupervisedChild.arm(microseconds: max(1, limit * 1_000_000)) }
        let status = warm.map { WarmStart.wait(connection: $0.connection, pid: $0.pid) } ?? SupervisedChild.wait()
        SupervisedChild.arm(microseconds: 0)
        SupervisedChild.killLeftovers()
        _ = ExitRecordFile.write(ExitRecordFile.json(status, timedOut: SupervisedChild.timeLimitReached), to: arguments.exitRecord)
        switch status {
        case .exited(let code): exit(code)
        case .signaled(let signal):
            // Ending by the same signal tells a waiting ablate the same as the record does.
            var none = rlimit()
            setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &none)
            Glibc.signal(signal, SIG_DFL)
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            sigaddset(&unblocked, signal)
            sigprocmask(SIG_UNBLOCK, &unblocked, nil)
            kill(getpid(), signal)
            exit(128 + signal)
        }
    }
}
