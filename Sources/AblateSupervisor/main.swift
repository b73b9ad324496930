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
//
// `ablate-supervisor --serve ROOM` stays resident for one ablate instead and forks such a
// supervisor for each task ablate sends it (see `ForkServer`).

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == ForkServer.flag { ForkServer.serve() }
guard let parsed = SupervisorArguments.parse(arguments) else { exit(2) }
Supervision.run(parsed)
