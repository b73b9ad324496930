import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate rm RUN`: removes a run and the cached outputs no other run needs.
struct RmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Remove a run, and the cached outputs that no other run needs.",
        discussion: "A running run is refused ('ablate cancel' it first). --dry-run says what would go.")

    @Argument(help: ArgumentHelp("The run: a run directory, STUDY/RUN-ID or a run id.", valueName: "run"))
    var runName: String

    @Flag(help: "Say what would be removed, and remove nothing.")
    var dryRun = false

    @Flag(help: "Wait for other runs using the cache to end, instead of refusing.")
    var wait = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let directory = try RunLocator.find(runName, runsDirectory: location.runsDirectory)
        let layout = RunLayout(runDirectory: directory, cacheDirectory: location.cacheDirectory)
        let run = StoredRun(layout: layout, record: try layout.readRunRecord())
        let removal = RunRemoval(run: run, runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory)
        let name = "\(run.record.study)/\(run.record.id)"
        let what =
            "run \(name) (\(DiskUsage.format(removal.runBytes))) and \(removal.entries.count) cache entr\(removal.entries.count == 1 ? "y" : "ies") only it needs"
        if dryRun {
            print("would remove \(what): \(DiskUsage.format(removal.bytes))")
            return
        }
        do {
            let freed = try removal.perform(runsDirectory: location.runsDirectory, cacheDirectory: location.cacheDirectory, wait: wait)
            print("removed \(what): freed \(DiskUsage.format(freed))")
        } catch let error as DiskCommandError {
            throw UserError(error.description)
        }
    }
}
