import Foundation
import Subprocess
import SystemPackage

/// Runs Slurm's client commands (sbatch, squeue, sacct, scancel): arguments as arrays, never
/// a shell.
struct SlurmClient: Sendable {
    /// What a command printed, and whether it succeeded.
    struct Answer {
        var succeeded: Bool
        var outputBytes: [UInt8]
        var error: String

        var output: String { String(decoding: outputBytes, as: UTF8.self) }
    }

    /// Runs one command. `outputLimit` bounds what it may print; bytes are reserved for all of
    /// it up front, so only an unbounded read (squeue's JSON) goes without one.
    func call(_ program: String, _ arguments: [String], environment: [String: String] = [:], outputLimit: Int = 1 << 16) async throws -> Answer {
        var updates: [Environment.Key: String?] = [:]
        for (name, value) in environment {
            if let key = Environment.Key(rawValue: name) { updates[key] = value }
        }
        // Found here rather than by name: a start by name tries each directory of PATH in turn.
        let executable = ExecutableLookup.shared.executable(program) ?? .name(program)
        do {
            let result = try await run(
                executable, arguments: Arguments(arguments), environment: .inherit.updating(updates), input: .none,
                output: .bytes(limit: outputLimit), error: .bytes(limit: 1 << 16))
            // Bytes, decoded at once: squeue's JSON runs to megabytes on a busy cluster.
            return Answer(
                succeeded: result.terminationStatus.isSuccess, outputBytes: result.standardOutput,
                error: String(decoding: result.standardError, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw SlurmError.failed(program, "cannot start it (\(error)); is Slurm's client installed and on PATH?")
        }
    }

    /// Submits a job and returns its id.
    func submit(_ submission: SlurmSubmission) async throws -> String {
        let answer = try await call("sbatch", submission.arguments, environment: submission.environment)
        guard answer.succeeded else { throw SlurmError.failed("sbatch", answer.error.isEmpty ? "no message" : answer.error) }
        // `--parsable` prints `ID` or `ID;CLUSTER`.
        let id = answer.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy({ $0.isNumber || $0 == "_" }) else {
            throw SlurmError.unreadable("sbatch --parsable", "expected a job id, got '\(answer.output.prefix(200))'")
        }
        return id
    }

    /// Every job of this user that the controller still knows, in one call.
    func queue() async throws -> [String: SlurmJobState] {
        let answer = try await call("squeue", ["--json", "--me"], outputLimit: .max)
        guard answer.succeeded else { throw SlurmError.failed("squeue --json", answer.error) }
        return try SlurmJobState.parseQueue(Data(answer.outputBytes))
    }

    /// The accounting records of jobs that left the queue: the accounting database, or the
    /// job completion log where a cluster has no database.
    func accounting(_ jobs: [String]) async throws -> [String: SlurmJobState] {
        let query = ["-n", "-P", "-X", "-o", "JobID,State,ExitCode", "-S", "now-30days", "-j", jobs.joined(separator: ",")]
        var answer = try await call("sacct", query, outputLimit: .max)
        if !answer.succeeded { answer = try await call("sacct", ["-c"] + query, outputLimit: .max) }
        guard answer.succeeded else { throw SlurmError.failed("sacct", answer.error) }
        return SlurmJobState.parseAccounting(answer.output)
    }

    func cancel(_ jobs: [String]) async throws {
        guard !jobs.isEmpty else { return }
        let answer = try await call("scancel", jobs)
        guard answer.succeeded else { throw SlurmError.failed("scancel", answer.error) }
    }
}
