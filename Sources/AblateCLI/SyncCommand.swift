import AblateCore
import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate sync RUN`: uploads the offline W&B runs of a run's training tasks that are not
/// uploaded yet (a run on machines without the network, or an upload that failed).
struct SyncCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Upload a run's offline W&B runs that are not uploaded yet.",
        discussion: """
            Training tasks tracked with W&B in offline mode write their runs into their directories, \
            and ablate uploads them from this machine when each task ends. This uploads what is left: \
            each attempt's run once, every attempt of a task into the task's one W&B run. W&B's \
            credentials come from the environment (WANDB_API_KEY) or 'wandb login'.
            """)

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @OptionGroup var location: RunsLocation

    func run() async throws {
        let directory = try RunLocator.find(runName, runsDirectory: location.runsDirectory)
        let layout = RunLayout(runDirectory: directory)
        let settings = SpecLoader().load(path: layout.specCopy).spec?.tracking.wandb
        let sync = WandbSync(layout: layout, settings: settings)
        // A task still training would be uploaded in part, and marked as done.
        let tasks = try layout.taskRecords().filter {
            TrackingSpec.trackedKinds.contains($0.kind) && $0.state != .running && sync.hasOfflineRuns($0.id)
        }
        guard !tasks.isEmpty else {
            print("\(layout.runID) has no offline W&B runs")
            return
        }
        var failed: [String] = []
        for task in tasks {
            let outcome = await sync.sync(task: task.id, fingerprint: task.fingerprint)
            for line in outcome.lines { print("\(task.id): \(line)") }
            if !outcome.succeeded { failed.append(task.id) }
        }
        guard failed.isEmpty else {
            throw UserError("the W&B runs of \(failed.joined(separator: ", ")) were not uploaded (see above); run 'ablate sync \(runName)' again")
        }
    }
}
