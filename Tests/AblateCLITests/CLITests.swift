import AblateTestSupport
import ArgumentParser
import Foundation
import Testing

@testable import AblateCLI

/// The command line as a user meets it: help texts, exit codes and every plan format.
@Suite struct CLITests {
    static let commands: [String: any ParsableCommand.Type] = [
        "ablate": AblateCommand.self, "validate": ValidateCommand.self, "plan": PlanCommand.self, "run": RunCommand.self,
        "resume": ResumeCommand.self, "status": StatusCommand.self, "logs": LogsCommand.self, "ls": LsCommand.self,
        "cancel": CancelCommand.self, "reindex": ReindexCommand.self, "report": ReportCommand.self, "schema": SchemaCommand.self,
        "du": DuCommand.self, "gc": GcCommand.self, "rm": RmCommand.self, "pin": PinCommand.self, "unpin": UnpinCommand.self,
        "sync": SyncCommand.self, "export": ExportCommand.self,
    ]

    @Test func everyCommandIsInTheHelpSnapshots() {
        let listed = Set(AblateCommand.configuration.subcommands.map { $0._commandName })
        #expect(listed == Set(Self.commands.keys).subtracting(["ablate"]))
    }

    /// `--help`, `-h` and `help COMMAND` as the executable answers them: the help text on standard
    /// output and exit 0, for the root command and a subcommand alike.
    @Test(arguments: [["--help"], ["-h"], ["report", "--help"], ["help", "report"], ["sync", "-h"]])
    func helpFromTheCommandLine(_ arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let command = arguments.first { !$0.hasPrefix("-") && $0 != "help" }
        #expect(result.stdout.hasPrefix("OVERVIEW: "))
        #expect(result.stdout.contains("USAGE: ablate \(command.map { $0 + " " } ?? "")"), "\(result.stdout)")
    }

    @Test(arguments: commands.keys.sorted())
    func helpText(_ command: String) throws {
        let type = try #require(Self.commands[command])
        let help = command == "ablate" ? AblateCommand.helpMessage(columns: 100) : AblateCommand.helpMessage(for: type, columns: 100)
        Snapshot.assertMatches(help, named: "help-\(command).txt", in: CLIRunner.snapshots)
    }

    @Test(arguments: ["tree", "json", "dot", "mermaid"])
    func planFormats(_ format: String) async throws {
        // A stand-in runners folder keeps the fingerprints independent of the real runners' code,
        // and its path (wherever the checkout is) is shown as $RUNNERS.
        let runners = CLIRunner.fixtures + "/Runners"
        let result = try await CLIRunner.run(["plan", "diamond.yaml", "--format", format], environment: ["ABLATE_RUNNERS": runners])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)
        let stdout = result.stdout.replacingOccurrences(of: runners, with: "$RUNNERS")
            .replacingOccurrences(of: runners.replacingOccurrences(of: "/", with: "\\/"), with: "$RUNNERS")
        Snapshot.assertMatches(stdout, named: "plan-diamond.\(format == "tree" ? "txt" : format)", in: CLIRunner.snapshots)
    }

    @Test func validateSaysWhatItFound() async throws {
        let result = try await CLIRunner.run(["validate", "diamond.yaml"])
        #expect(result.status == 0)
        #expect(
            result.stdout == "diamond.yaml: valid: 2 variants, 14 tasks\n",
            "seven stage tasks, the environment, a fetch task for each of the four hub repositories and one for each lm-eval task")
    }

    @Test func anInvalidSpecExitsOneWithLocatedErrors() async throws {
        let directory = Scratch.path("cli")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "ablate: 1\nname: broken\nstages:\n  sft:\n    kind: stf\n".write(toFile: directory + "/broken.yaml", atomically: true, encoding: .utf8)
        for command in ["validate", "plan"] {
            let result = try await CLIRunner.run([command, "broken.yaml"], in: directory)
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr == "broken.yaml:5:11: error: unknown stage kind 'stf'; did you mean 'sft'?\n1 error in broken.yaml\n")
        }
        let missing = try await CLIRunner.run(["validate", "nowhere.yaml"], in: directory)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("nowhere.yaml:1:1: error: cannot read the spec: no such file"))
    }

    @Test func withoutTheRunnersABuiltInStageSaysWhereToFindThem() async throws {
        let result = try await CLIRunner.run(["validate", "diamond.yaml"], environment: ["ABLATE_RUNNERS": "/nonexistent/Runners"])
        #expect(result.status == 1)
        #expect(
            result.stderr.hasPrefix(
                "diamond.yaml:18:3: error: stage 'sft' runs ablate's 'sft' runner, whose environment file /nonexistent/Runners/environments/runners.txt does not exist; set ABLATE_RUNNERS"
            ))
        #expect(result.stderr.hasSuffix("\n1 error in diamond.yaml\n"), "reported once, not for every stage")
    }

    @Test func fingerprintsAreTheSameInTwoProcesses() async throws {
        let first = try await CLIRunner.run(["plan", "diamond.yaml", "--format", "json"])
        let second = try await CLIRunner.run(["plan", "diamond.yaml", "--format", "json"])
        #expect(first.status == 0 && second.status == 0)
        #expect(first.stdout.contains("\"fingerprint\""))
        #expect(first.stdout == second.stdout)
    }

    @Test func schemaIsJSON() async throws {
        let result = try await CLIRunner.run(["schema"])
        #expect(result.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(object?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}
