import AblateTestSupport
import Foundation
import Testing

@testable import AblateCLI

/// One way errors reach a user: `error: …` on standard error, exit 2 for a command line that
/// does not parse, 1 for anything else a user can fix; values that would trap are refused.
@Suite struct ErrorPathTests {
    /// A study of one quick task writing `metrics` (as a shell word) in a fresh directory.
    private func study(metrics: String = #"'{\"x\": 1}'"#) throws -> String {
        let directory = Scratch.path("errors")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let spec = """
            ablate: 1
            name: quick
            stages:
              hello: {kind: command, run: "echo \(metrics) > ${outputs.output}/metrics.json"}
            """
        try spec.write(toFile: directory + "/quick.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    private func runOnce(_ directory: String) async throws -> String {
        let run = try await CLIRunner.run(["run", "quick.yaml", "--runs-dir", "Runs"], in: directory)
        #expect(run.status == 0, "\(run.stderr)")
        let runs = try FileManager.default.contentsOfDirectory(atPath: directory + "/Runs/quick")
        return directory + "/Runs/quick/" + (runs.first ?? "")
    }

    @Test(arguments: [
        (["--retry-delay", "nan"], "error: --retry-delay must be a number of seconds from 0 to 86400, not nan"),
        (["--retry-delay=-1"], "error: --retry-delay must be a number of seconds from 0 to 86400, not -1.0"),
        (["--kill-grace", "inf"], "error: --kill-grace must be a number of seconds from 0 to 86400, not inf"),
        (["--poll-interval", "1e11"], "error: --poll-interval must be a number of seconds above 0 and at most 86400, not 100000000000.0"),
        (["--no-such-flag"], "error: Unknown option '--no-such-flag'"),
    ])
    func valuesThatCannotBeWaitedForAreUsageErrors(_ flags: [String], _ message: String) async throws {
        let directory = try study()
        let result = try await CLIRunner.run(["run", "quick.yaml", "--runs-dir", "Runs"] + flags, in: directory)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.hasPrefix(message + "\n"), "\(result.stderr)")
        #expect(result.stderr.contains("Usage: ablate run"), "a usage error shows the usage")
        #expect(!FileManager.default.fileExists(atPath: directory + "/Runs/quick"), "nothing ran")
    }

    @Test func runtimeConditionsAreErrorsWithoutTheUsage() async throws {
        let directory = try study()
        let missing = try await CLIRunner.run(["status", "nothing-like-it", "--runs-dir", "Runs"], in: directory)
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("error: no run named 'nothing-like-it' in "), "\(missing.stderr)")
        #expect(!missing.stderr.contains("Usage:"))
        let slurmOnly = try await CLIRunner.run(["run", "quick.yaml", "--runs-dir", "Runs", "--partition", "gpu"], in: directory)
        #expect(slurmOnly.status == 1)
        #expect(slurmOnly.stderr == "error: --partition applies to the slurm executor only; add --executor slurm, or leave --partition out\n")
    }

    @Test func aFileThatCannotBeMadeIsNamedWithTheSystemsReason() async throws {
        let directory = try study()
        // The runs directory would have to be made inside a file.
        try "".write(toFile: directory + "/taken", atomically: true, encoding: .utf8)
        let result = try await CLIRunner.run(["run", "quick.yaml", "--runs-dir", "taken/Runs"], in: directory)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("error: cannot write "), "\(result.stderr)")
        #expect(result.stderr.hasSuffix("taken/Runs: Not a directory\n"), "\(result.stderr)")
    }

    @Test func aFullDiskSaysWhichFileAndHowToMakeRoom() {
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/data/Runs", NSUnderlyingErrorKey: POSIXError(.ENOSPC)])
        #expect(
            CommandFailure.message(for: full)
                == "cannot write /data/Runs: No space left on device; free some space there (for one, 'ablate gc' frees the cached outputs that no kept run needs)"
        )
        // Errors of other kinds read as they describe themselves.
        #expect(CommandFailure.message(for: UserError("no run named 'x'")) == "no run named 'x'")
    }

    @Test func aDamagedRunRecordIsNamedAsDamagedNotAsMissing() async throws {
        let directory = try study()
        let run = try await runOnce(directory)
        try "{\"id\": \"tr".write(toFile: run + "/run.json", atomically: true, encoding: .utf8)
        for command in [["status", run], ["resume", run], ["reindex", run]] {
            let result = try await CLIRunner.run(command + ["--runs-dir", "Runs"], in: directory)
            #expect(result.status == 1, "\(command): \(result.stderr)")
            #expect(
                result.stderr
                    == "error: \(run)/run.json is damaged (not valid JSON); restore it, or start the study again with 'ablate run SPEC' (its completed tasks come from the cache)\n",
                "\(command)")
        }
        try FileManager.default.removeItem(atPath: run + "/run.json")
        let gone = try await CLIRunner.run(["reindex", run], in: directory)
        #expect(gone.status == 1)
        #expect(gone.stderr.contains("is not a run directory (no run.json)") || gone.stderr.contains("no run named"), "\(gone.stderr)")
    }

    @Test func aDamagedIndexSaysToReindexAndReindexMendsIt() async throws {
        let directory = try study()
        let run = try await runOnce(directory)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: run + "/index.sqlite" + suffix) }
        try? FileManager.default.removeItem(atPath: run + "/report.cache")
        try Data(repeating: 0x41, count: 8192).write(to: URL(fileURLWithPath: run + "/index.sqlite"))
        let report = try await CLIRunner.run(["report", run, "--format", "csv"], in: directory)
        #expect(report.status == 1)
        #expect(report.stderr.hasPrefix("error: \(run)/index.sqlite is damaged ("), "\(report.stderr)")
        #expect(report.stderr.hasSuffix("); rebuild it from the run's files with 'ablate reindex \(run)'\n"), "\(report.stderr)")
        let reindex = try await CLIRunner.run(["reindex", run], in: directory)
        #expect(reindex.status == 0, "\(reindex.stderr)")
        let again = try await CLIRunner.run(["report", run, "--format", "csv"], in: directory)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("hello/x"))
    }

    @Test func aMalformedMetricsFileIsAWarningNamingTheFile() async throws {
        let directory = try study(metrics: #"'{\"x\": 1'"#)
        let run = try await CLIRunner.run(["run", "quick.yaml", "--runs-dir", "Runs"], in: directory)
        #expect(run.status == 0, "the task itself succeeded: \(run.stderr)")
        #expect(run.stderr.contains("hello: "), "\(run.stderr)")
        #expect(run.stderr.contains("/outputs/output/metrics.json is not a JSON object, so none of its metrics were recorded"), "\(run.stderr)")
    }
}
