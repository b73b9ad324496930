import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate logs RUN TASK`: a task's output.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a task's standard output (or error), optionally following it.")

    @Argument(help: ArgumentHelp("The run.", valueName: "run"))
    var runName: String

    @Argument(help: "The task, as 'ablate status' names it.")
    var task: String

    @Flag(name: .shortAndLong, help: "Keep printing what the task writes until it ends.")
    var follow = false

    @Flag(help: "Show standard error instead of standard output.")
    var stderr = false

    @Flag(help: "Print one JSON object with the task, the stream and its text (not with --follow).")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let layout = RunLayout(runDirectory: try RunLocator.find(runName, runsDirectory: location.runsDirectory))
        guard FileManager.default.fileExists(atPath: layout.taskDirectory(task)) else {
            let known = try layout.plannedTaskIDs()
            throw UserError("no task '\(task)' has run in this run; its tasks are: \(known.prefix(20).joined(separator: ", "))")
        }
        let path = stderr ? layout.stderr(task) : layout.stdout(task)
        if json {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            let object: [String: Any] = ["task": task, "stream": stderr ? "stderr" : "stdout", "text": text]
            print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            return
        }
        var offset: UInt64 = 0
        repeat {
            if let handle = FileHandle(forReadingAtPath: path) {
                try handle.seek(toOffset: offset)
                let data = handle.readDataToEndOfFile()
                offset += UInt64(data.count)
                FileHandle.standardOutput.write(data)
                try? handle.close()
            }
            guard follow else { return }
            // A task with no record yet is about to start, or in its first second (its record
            // says it runs once it has run one).
            let state = try layout.readTaskRecord(task)?.state ?? .pending
            if state != .running && state != .pending { return }
            Thread.sleep(forTimeInterval: 0.3)
        } while true
    }
}
