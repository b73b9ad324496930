import AblateRun
import AblateStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `ablate cancel RUN`: asks the ablate running a run to stop, as Ctrl-C would; with no ablate
/// running, stops what a dead one left behind.
struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel",
        abstract: "Stop a running run: its ablate stops every task and records them as interrupted.",
        discussion: "When the ablate that ran it has died, stops what it left running instead: Slurm jobs (scancel) and local process groups (SIGKILL).")

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
        guard kill(pid, SIGTERM) == 0 else { throw UserError("cannot signal PID \(pid): \(String(cString: strerror(errno)))") }
        if json {
            print(try JSONLine.encode(Signalled(run: layout.runID, study: layout.study, pid: pid)))
        } else {
            print("asked ablate (PID \(pid)) to stop run \(layout.study)/\(layout.runID)")
        }
    }

    /// What `--json` prints after signalling the ablate that runs the run.
    private struct Signalled: Encodable {
        var run: String
        var study: String
        var pid: Int32
        var signalled = true
    }

    private func cancelAbandonedJobs(_ layout: RunLayout) async throws {
        let stopped: [LaunchHandle]
        do {
            stopped = try await AbandonedJobs.cancel(runDirectory: layout.runDirectory)
        } catch {
            throw UserError("run \(layout.runID) is not running, and what it left behind could not be stopped: \(error)")
        }
        guard !stopped.isEmpty else { throw UserError("run \(layout.runID) is not running") }
        let jobs = stopped.compactMap { handle -> String? in
            if case .slurmJob(let job) = handle { return job }
            return nil
        }
        let groups = stopped.compactMap { handle -> Int32? in
            if case .processGroup(let group, _) = handle { return group }
            return nil
        }
        if json {
            print(try JSONLine.encode(Cancelled(run: layout.runID, study: layout.study, cancelledJobs: jobs, killedProcessGroups: groups)))
            return
        }
        var parts: [String] = []
        if !jobs.isEmpty { parts.append("cancelled the Slurm jobs it left behind: \(jobs.joined(separator: ", "))") }
        if !groups.isEmpty { parts.append("killed the process groups it left behind: \(groups.map(String.init).joined(separator: ", "))") }
        print("no ablate runs \(layout.study)/\(layout.runID); \(parts.joined(separator: "; "))")
    }

    /// What `--json` prints after stopping what a dead ablate left behind.
    private struct Cancelled: Encodable {
        var run: String
        var study: String
        var cancelledJobs: [String]
        var killedProcessGroups: [Int32]
    }
}
