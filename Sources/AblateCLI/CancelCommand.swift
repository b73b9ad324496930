import AblateRun
import AblateStore
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// `ablate cancel RUN`: asks the ablate running a run to stop, as Ctrl-C would.
struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Stop a running run: its ablate stops every task and records them as interrupted.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let layout = RunLayout(runDirectory: try RunLocator.find(runName, runsDirectory: location.runsDirectory))
        guard RunLock.isHeld(path: layout.lockFile), let pid = RunLock.holder(path: layout.lockFile), pid > 0 else {
            throw ValidationError("run \(layout.runID) is not running")
        }
        guard kill(pid, SIGTERM) == 0 else { throw ValidationError("cannot signal PID \(pid): \(String(cString: strerror(errno)))") }
        if json {
            let object: [String: Any] = ["run": layout.runID, "study": layout.study, "pid": Int(pid), "signalled": true]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("asked ablate (PID \(pid)) to stop run \(layout.study)/\(layout.runID)")
        }
    }
}
