import AblateCore
import AblateRun
import AblateStore
import ArgumentParser
import Foundation
import Subprocess

/// `ablate export TRACKER RUN`: a run's records in an experiment tracker.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export a run to an experiment tracker.", subcommands: [ExportMLflowCommand.self])
}

/// `ablate export mlflow RUN [--tracking-uri URI] [--experiment NAME]`: every task of a run as
/// one MLflow run, through MLflow's own client (`python -m ablate_runners.export_mlflow` in the
/// runners' environment): its params, scalar metrics, metric series with their steps, tags (the
/// sweep values, the fingerprint) and the paths of its outputs. Exporting again adds only what is
/// new, so the tracker holds one MLflow run per task whatever how often the run is exported.
struct ExportMLflowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlflow", abstract: "Export every task of a run to MLflow: params, metrics and their series, tags, output paths.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @Option(help: "The MLflow tracking URI (default: the spec's tracking.mlflow, else MLFLOW_TRACKING_URI, else sqlite:///<runs-dir>/mlflow.db).")
    var trackingURI: String?

    @Option(help: "The MLflow experiment (default: the spec's, else the study's name).")
    var experiment: String?

    @OptionGroup var location: RunsLocation

    func run() async throws {
        let directory = try RunLocator.find(runName, runsDirectory: location.runsDirectory)
        let layout = RunLayout(runDirectory: directory)
        let run = try layout.readRunRecord()
        let settings = SpecLoader().load(path: layout.specCopy).spec?.tracking.mlflow ?? TrackingSpec.MLflow()
        let uri = trackingURI ?? TrackingEnvironment.mlflowURI(settings, runsDirectory: layout.runsDirectory, environment: ProcessInfo.processInfo.environment)
        let export = try MLflowExport(layout: layout, study: run.study, experiment: experiment ?? settings.experiment ?? run.study).document()
        let file = directory + "/mlflow-export.json"
        try AtomicFile.write(export, to: file, durability: .deferred)
        let python = try await Self.runnersPython()
        var arguments = ["-m", "ablate_runners.export_mlflow", file, "--tracking-uri", uri]
        if let experiment { arguments += ["--experiment", experiment] }
        let result = try await Subprocess.run(
            .path(.init(python)), arguments: Arguments(arguments), environment: .inherit.updating(["PYTHONPATH": RunnerPackage.directory]),
            output: .fileDescriptor(.standardOutput, closeAfterSpawningProcess: false), error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false)
        )
        guard result.terminationStatus.isSuccess else { throw ExitCode(1) }
    }

    /// The runners' environment's interpreter (made the first time, as a run makes it), where MLflow is.
    static func runnersPython() async throws -> String {
        let result = try await Subprocess.run(
            .name("python3"),
            arguments: ["-m", "ablate_runners.environment", "--requirements", RunnerPackage.requirements(of: "runners"), "--print-python"],
            environment: .inherit.updating(["PYTHONPATH": RunnerPackage.directory]), output: .string(limit: 1 << 16),
            error: .fileDescriptor(.standardError, closeAfterSpawningProcess: false))
        guard result.terminationStatus.isSuccess, let python = result.standardOutput.split(separator: "\n").last.map(String.init), !python.isEmpty else {
            throw UserError("the runners' Python environment could not be made (see above); it needs python3 with venv and pip")
        }
        return python
    }
}
