import AblateRun
import AblateStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `ablate cancel RUN`: asks the ablate running a run to stop, as Ctrl-C would; with no ablate
/// running, cancels the Slurm jobs a dead one left behind.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Stop a running run: its ablate stops every task and records them as interrupted.",
        discussion: "When the ablate that ran it has died, cancels the Slurm jobs it left queued or running instead.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() async throws {
        let layout = RunLayout(runDirectory: try RunLocator.find(runName, runsDirectory: location.runsDirectory))
        guard RunLock.isHeld(path: layout.lockFile), let pid = RunLock.holder(path: layout.lockFile), pid > 0 else {
            try await cancelAbandonedJobs(layout)
            return
        }
        guard kill(pid, SIGTERM) == 0 else { throw ValidationError("cannot signal PID \(pid): \(String(cString: strerror(errno)))") }
        if json {
            let object: [String: Any] = ["run": layout.runID, "study": layout.study, "pid": Int(pid), "signalled": true]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("asked ablate (PID \(pid)) to stop run \(layout.study)/\(layout.runID)")
        }
    }

    private func cancelAbandonedJobs(_ layout: RunLayout) async throws {
        let jobs: [String]
        do {
            jobs = try await AbandonedJobs.cancel(runDirectory: layout.runDirectory)
        } catch {
            throw ValidationError("run \(layout.runID) is not running, and its Slurm jobs could not be cancelled: \(error)")
        }
        guard !jobs.isEmpty else { throw ValidationError("run \(layout.runID) is not running") }
        if json {
            let object: [String: Any] = ["run": layout.runID, "study": layout.study, "cancelledJobs": jobs]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("no ablate runs \(layout.study)/\(layout.runID); cancelled the Slurm jobs it left behind: \(jobs.joined(separator: ", "))")
        }
    }
}
