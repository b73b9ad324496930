import AblateCore
import AblateStore
import Foundation
import Subprocess

/// Collects where a run's results come from: the git commit of the spec's checkout, the
/// tools' versions, the host and a digest of the environment.
enum ProvenanceCollector {
    static let ablateVersion = "0.1.0"

    /// The commit of the checkout that holds a spec, and whether it has changes.
    struct Checkout: Sendable {
        var commit: String?
        var dirty: Bool?
    }

    /// Asks git about the checkout of `directory` (none: no commit). A run asks while its spec
    /// compiles: `git status` in a large checkout takes a while.
    static func checkout(of directory: String) async -> Checkout {
        let commit = await output(of: "git", ["-C", directory, "rev-parse", "HEAD"])
        let status = commit == nil ? nil : await output(of: "git", ["-C", directory, "status", "--porcelain"])
        return Checkout(commit: commit, dirty: status.map { !$0.isEmpty })
    }

    /// `usesPython`: some task runs the `python3` on PATH, whose version is then recorded (asking
    /// costs a process, through pyenv's shims tens of milliseconds, which a plan that never
    /// runs it need not pay).
    static func collect(checkout: Checkout, hubCommits: HubCommits, usesPython: Bool) async -> Provenance {
        var tools: [String: String] = [:]
        if usesPython, let python = await output(of: "python3", ["--version"]) { tools["python3"] = python }
        var provenance = Provenance(
            gitCommit: checkout.commit, gitDirty: checkout.dirty, host: ProcessInfo.processInfo.hostName,
            ablateVersion: ablateVersion, toolVersions: tools, environmentFingerprint: environmentFingerprint())
        if !hubCommits.isEmpty {
            provenance.hubRevisions = Dictionary(uniqueKeysWithValues: hubCommits.map { ($0.key.description, $0.value) })
        }
        return provenance
    }

    /// Whether a task of the plan runs `python3` or `python` from PATH.
    static func usesPython(_ plan: Plan) -> Bool {
        plan.tasks.contains { task in
            guard let program = task.command.arguments.first?.parts.first, case .literal(let name) = program else { return false }
            return name == "python3" || name == "python"
        }
    }

    /// A digest of the environment's names and values, secrets left out, so that two runs can
    /// tell whether they ran in the same environment.
    static func environmentFingerprint() -> String {
        let environment = ProcessInfo.processInfo.environment
        let text = environment.keys.sorted().filter { !CommandRecord.isSecret($0) }.map { "\($0)=\(environment[$0] ?? "")" }
            .joined(separator: "\n")
        return String(Digest.sha256Hex(of: Array(text.utf8)).prefix(16))
    }

    private static func output(of program: String, _ arguments: [String]) async -> String? {
        guard let executable = ExecutableLookup.shared.executable(program),
            let result = try? await run(
                executable, arguments: Arguments(arguments), output: .string(limit: 1 << 16), error: .discarded),
            result.terminationStatus.isSuccess
        else { return nil }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
