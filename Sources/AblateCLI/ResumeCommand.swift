import AblateRun
import ArgumentParser
import Foundation

/// `ablate resume RUN`: continues a run.
struct ResumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resume",
        abstract: "Re-run exactly what failed, was interrupted, never started, or changed.",
        discussion: """
            Tasks that completed with the same fingerprint are kept. Tasks of unchanged spec that \
            were running when ablate died (local processes, which outlive it, and Slurm jobs) are \
            followed again (adopted), and ingested if they ended meanwhile, never started twice; \
            those of a changed task are stopped and run again. \
            --dry-run says, for each task, what would happen and why.
            """
    )

    @Argument(help: ArgumentHelp("The run: a run directory, STUDY/RUN-ID, a run id, or a study (its latest run).", valueName: "run"))
    var runName: String

    @Option(help: "Resume with this (edited) spec instead of the one the run was started with.")
    var spec: String?

    @Flag(help: "Only say what would run and why.")
    var dryRun = false

    @OptionGroup var execution: ExecutionOptions

    func run() async throws {
        let directory = try RunLocator.find(runName, runsDirectory: execution.location.runsDirectory)
        // The run and its spec are read and compiled once, for every decision below.
        let target = try ResumeTarget(
            runDirectory: directory, specOverride: spec, cacheDirectory: execution.location.cacheDirectory, hub: execution.hub.settings)
        if dryRun {
            print(DecisionTable.render(try RunSession.explain(target)), terminator: "")
            return
        }
        if let count = UpToDateCheck.tasks(target) {
            let name = URL(fileURLWithPath: directory).lastPathComponent
            if execution.json {
                print(try JSONLine.encode(UpToDate(run: name, tasks: count)))
            } else {
                FileHandle.standardError.write(Data("run \(name) is up to date: all \(count) tasks done, nothing to run\n".utf8))
            }
            return
        }
        let observer = SessionRunner.observer(json: execution.json)
        try await SessionRunner.execute(options: execution, observer: observer) { options in
            try await RunSession.resume(target, options: options, observer: observer)
        }
    }

    /// The JSON line of a run with nothing to do.
    private struct UpToDate: Encodable {
        var event = "up-to-date"
        var run: String
        var tasks: Int
    }
}

/// The decisions of a run as a table: task, what happens, why.
enum DecisionTable {
    static func render(_ decisions: [TaskDecision]) -> String {
        let width = min(decisions.map(\.task.count).max() ?? 4, 60)
        var text = ""
        for decision in decisions {
            let action = decision.action == .keep ? "skip" : decision.action.rawValue
            text +=
                "\(action.padding(toLength: 7, withPad: " ", startingAt: 0)) \(decision.task.padding(toLength: width, withPad: " ", startingAt: 0))  \(decision.reason)\n"
        }
        let counts = Dictionary(grouping: decisions, by: \.action).mapValues(\.count)
        let adopted = counts[.adopt].map { ", \($0) still running to follow" } ?? ""
        text += "\(counts[.run] ?? 0) to run\(adopted), \(counts[.cached] ?? 0) from the cache, \(counts[.keep] ?? 0) already done\n"
        return text
    }
}
