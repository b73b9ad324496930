import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate pin RUN` and `ablate unpin RUN`: whether gc keeps a run whatever its age.
struct PinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pin", abstract: "Keep a run and everything it needs through every 'ablate gc' (until 'ablate unpin').")

    @Argument(help: ArgumentHelp("The run: a run directory, STUDY/RUN-ID, a run id, or a study (its latest run).", valueName: "run"))
    var runName: String

    @OptionGroup var location: RunsLocation

    func run() throws { try Self.setPinned(true, runName, location) }

    static func setPinned(_ pinned: Bool, _ runName: String, _ location: RunsLocation) throws {
        let layout = RunLayout(runDirectory: try RunLocator.find(runName, runsDirectory: location.runsDirectory))
        let run = StoredRun(layout: layout, record: try layout.readRunRecord())
        try run.setPinned(pinned)
        print("\(pinned ? "pinned" : "unpinned") \(run.record.study)/\(run.record.id)")
    }
}

/// `ablate unpin RUN`.
struct UnpinCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "unpin", abstract: "Let 'ablate gc' free what a pinned run needs again.")

    @Argument(help: ArgumentHelp("The run: a run directory, STUDY/RUN-ID, a run id, or a study (its latest run).", valueName: "run"))
    var runName: String

    @OptionGroup var location: RunsLocation

    func run() throws { try PinCommand.setPinned(false, runName, location) }
}
