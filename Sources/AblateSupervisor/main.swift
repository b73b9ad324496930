#if canImport(Glibc)
    import Glibc
#endif

// ablate-supervisor runs one local task for ablate and records how it ended, so that a task
// goes on when ablate itself dies (SIGKILL, a closed terminal) and the next `ablate resume`
// adopts it, or ingests its result, instead of running it again. ablate starts it as the leader
// of a new session and process group; the task runs in that group, so that signalling the
// group stops the task as before, and the supervisor outlives the polite signals to write
// `--exit-record`. It enforces the task's time limit itself (SIGTERM to the group, SIGKILL to
// the task after the grace), since ablate may not be there when it comes, and exits as the
// task did.

guard let arguments = SupervisorArguments.parse(Array(CommandLine.arguments.dropFirst())) else { exit(2) }
// The group is the task's: started by hand, the supervisor makes one of its own rather than
// sweep its caller's.
if getpgrp() != getpid() { setpgid(0, 0) }
SupervisedChild.graceMicroseconds = Int(arguments.graceSeconds * 1_000_000)
SupervisedChild.installHandlers()
if let failure = SupervisedChild.spawn(arguments.command) {
    let message = "ablate-supervisor: cannot start '\(arguments.command[0])': \(String(cString: strerror(failure)))\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    _ = ExitRecordFile.write(ExitRecordFile.json(.exited(127), timedOut: false), to: arguments.exitRecord)
    exit(127)
}
if let limit = arguments.timeLimitSeconds { SupervisedChild.arm(microseconds: max(1, limit * 1_000_000)) }
let status = SupervisedChild.wait()
SupervisedChild.arm(microseconds: 0)
ProcessGroupSweep.killOthers()
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
