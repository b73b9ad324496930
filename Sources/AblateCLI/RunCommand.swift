import AblateRun
import ArgumentParser

/// `ablate run SPEC`: runs a study.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a study: every task that is not already in the cache.",
        discussion: """
            Creates Runs/<study>/<run-id>/ with the spec, plan.json, events.jsonl, index.sqlite \
            and one directory per task (command, logs, status, metrics, outputs). Completed outputs \
            go to a cache shared by all runs. With --executor slurm (or 'executor: slurm' in the \
            spec) every task is an sbatch job and ablate follows them from this machine; the runs \
            directory must then be on a filesystem the cluster's nodes share. Ctrl-C stops the \
            running tasks (scancel for jobs) and marks them interrupted; 'ablate resume' \
            continues. Exits 0 when every task completed, 1 when one failed, 130 when interrupted.
            """
    )

    @OptionGroup var spec: SpecOptions
    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        let observer = SessionRunner.observer(json: execution.json)
        try await SessionRunner.execute(options: execution, observer: observer) { options in
            try await RunSession.start(specPath: spec.spec, options: options, observer: observer)
        }
    }
}
