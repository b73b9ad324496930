import ArgumentParser
import Foundation

/// The `ablate` command: fine-tuning ablation studies run the way a build system runs a build.
public struct AblateCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Run fine-tuning ablation studies the way a build system runs a build.",
        discussion: """
            A study is one YAML spec: base models, datasets, default settings, sweep axes and \
            stages (sft, reward, dpo, ppo, bon, generate, lm-eval, diversity, judge, linguistic, \
            command). ablate checks it, compiles it into a DAG of tasks and shows what would run.
            """,
        version: "0.1.0",
        subcommands: [
            ValidateCommand.self, PlanCommand.self, RunCommand.self, ResumeCommand.self, StatusCommand.self, LogsCommand.self,
            LsCommand.self, CancelCommand.self, ReindexCommand.self, ReportCommand.self, SchemaCommand.self, DuCommand.self, GcCommand.self,
            RmCommand.self, PinCommand.self, UnpinCommand.self, SyncCommand.self, ExportCommand.self,
        ]
    )

    public init() {}
}

extension AblateCommand {
    /// Parses the process's arguments and runs the command (the executable's whole `main`),
    /// then exits with the code `CommandFailure` gives.
    public static func runFromCommandLine() async -> Never {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            Foundation.exit(CommandFailure.reportParsingError(error))
        }
        do {
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            Foundation.exit(CommandFailure.reportCommandError(error))
        }
        Foundation.exit(0)
    }
}
