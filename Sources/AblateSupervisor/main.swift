#if canImport(Glibc)
    import Glibc
#endif

// ablate-supervisor runs one local task for ablate and records how it ended, so that a task
// goes on when ablate itself dies (SIGKILL, a closed terminal) and the next `ablate resume`
// adopts it, or ingests its result, instead of running it again. ablate starts it as the leader
// of a new session; the task runs in that session as the leader of a process group of its own.
// The signals that stop a task (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2), sent to
// the supervisor or its group, are passed on to the task's group, and the supervisor outlives
// them to write `--exit-record`; ablate kills the whole session when it must force a stop. It
// enforces the task's time limit itself (SIGTERM to the task's group, SIGKILL after the grace),
// since ablate may not be there when it comes, kills what the task left in its group when the
// task ends, and exits as the task did. With `--warm NAME` it first asks the warm interpreter
// listening there to fork the task (a built-in stage then starts without importing its
// libraries again), and starts it itself when the interpreter cannot.

guard let arguments = SupervisorArguments.parse(Array(CommandLine.arguments.dropFirst())) else { exit(2) }
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
