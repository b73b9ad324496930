import AblateRun
import AblateStore
import ArgumentParser

/// `ablate reindex RUN`: rebuilds the index from the run's files.
struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reindex", abstract: "Rebuild a run's index.sqlite from the files in its directory.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @OptionGroup var location: RunsLocation

    func run() throws {
        let directory = try RunLocator.find(runName, runsDirectory: location.runsDirectory)
        let count = try Reindexer.reindex(runDirectory: directory)
        print("rebuilt \(directory)/index.sqlite from \(count) task\(count == 1 ? "" : "s")")
    }
}
