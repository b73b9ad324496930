import AblateCore
import AblateStore
import Foundation
import Subprocess

/// Uploads the offline W&B runs a training task left in its directory, from this machine (the
/// submitting machine, which has the network the compute nodes may lack), with `python -m
/// ablate_runners.wandb_sync` in the task's own interpreter: each attempt's run once, the task's
/// attempts into one W&B run. A run that cannot be uploaded stays for `ablate sync RUN`.
public struct WandbSync: Sendable {
    /// How an upload went: its lines, and whether every run was uploaded.
    public struct Outcome: Sendable {
        public var succeeded: Bool
        public var lines: [String]

        /// The line that says why, for a failure.
        public var cause: String { lines.last { $0.hasPrefix("error:") } ?? lines.last ?? "wandb_sync printed nothing" }
    }

    public let layout: RunLayout
    public let settings: TrackingSpec.WandB?

    public init(layout: RunLayout, settings: TrackingSpec.WandB?) {
        self.layout = layout
        self.settings = settings
    }

    /// Whether a task left offline W&B runs.
    public func hasOfflineRuns(_ task: String) -> Bool {
        FileManager.default.fileExists(atPath: layout.taskDirectory(task) + "/wandb")
    }

    /// Uploads the runs of `task` (at `fingerprint`) with the interpreter its last attempt ran
    /// (from `command.json`).
    public func sync(task: String, fingerprint: Fingerprint) async -> Outcome {
        guard let command = try? AtomicFile.readJSON(CommandRecord.self, from: layout.command(task)), let python = command.arguments.first else {
            return Outcome(succeeded: false, lines: ["error: \(task) has no recorded command, so no interpreter to upload with"])
        }
        var arguments = [
            "-m", "ablate_runners.wandb_sync", layout.taskDirectory(task), "--id",
            TrackingEnvironment.trackerID(run: layout.runID, task: task, fingerprint: fingerprint),
        ]
        if let project = settings?.project { arguments += ["--project", project] }
        if let entity = settings?.entity { arguments += ["--entity", entity] }
        var environment: [Environment.Key: String?] = ["PYTHONPATH": RunnerPackage.directory]
        // The runs were written offline; the upload is what goes online.
        environment["WANDB_MODE"] = nil
        do {
            let result = try await run(
                .path(.init(python)), arguments: Arguments(arguments), environment: .inherit.updating(environment),
                output: .string(limit: 1 << 20), error: .string(limit: 1 << 20))
            let text = result.standardOutput + result.standardError
            let lines = text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            return Outcome(succeeded: result.terminationStatus.isSuccess, lines: lines)
        } catch {
            return Outcome(succeeded: false, lines: ["error: cannot start \(python): \(error)"])
        }
    }
}
