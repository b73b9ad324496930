import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate status [RUN]`: what is done, running and failed, and why.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Show a run's tasks by state, with durations and, for failures, the exit code and the end of stderr.")

    @Argument(help: ArgumentHelp("The run (default: the latest).", valueName: "run"))
    var runName: String?

    @Flag(help: "Print JSON.")
    var json = false

    @OptionGroup var location: RunsLocation

    func run() throws {
        let directory = try RunLocator.find(runName, runsDirectory: location.runsDirectory)
        let layout = RunLayout(runDirectory: directory)
        let record = try layout.readRunRecord()
        let live = RunLock.isHeld(path: layout.lockFile)
        let tasks = try layout.taskRecords()
        if json {
            let object: [String: Any] = [
                "run": ["id": record.id, "study": record.study, "state": displayState(record, live: live), "directory": directory],
                "tasks": tasks.map { task -> [String: Any] in
                    var entry: [String: Any] = ["task": task.id, "state": task.state.rawValue, "attempts": task.attempts.count]
                    if let duration = task.lastAttempt?.duration { entry["seconds"] = duration }
                    if let code = task.lastAttempt?.exitCode { entry["exitCode"] = Int(code) }
                    if let job = task.lastAttempt?.jobID { entry["slurmJob"] = job }
                    if let reason = task.reason { entry["reason"] = reason }
                    if let position = Self.checkpoint(of: task, in: layout) {
                        switch position.unit {
                        case .step:
                            entry["continuesFromStep"] = position.at
                            if let steps = position.of { entry["steps"] = steps }
                        case .prompt:
                            entry["continuesAtPrompt"] = position.at
                            if let prompts = position.of { entry["prompts"] = prompts }
                        }
                    }
                    return entry
                },
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        var counts: [String: Int] = [:]
        for task in tasks { counts[task.state.rawValue, default: 0] += 1 }
        print("run \(record.study)/\(record.id): \(displayState(record, live: live))")
        print("  " + counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", "))
        let width = min(max(tasks.map(\.id.count).max() ?? 4, 4), 60)
        print("  " + "TASK".padding(toLength: width, withPad: " ", startingAt: 0) + "  STATE        TRIES  DURATION")
        for task in tasks {
            let duration = task.lastAttempt?.duration.map { "\(SecondsText.tenths($0))s" } ?? "-"
            var columns: [String] = [
                task.id.padding(toLength: width, withPad: " ", startingAt: 0),
                task.state.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0),
                String(task.attempts.count).padding(toLength: 5, withPad: " ", startingAt: 0),
                duration,
            ]
            if let job = task.lastAttempt?.jobID { columns.append("(Slurm job \(job))") }
            var reason: String = task.reason.map { "  " + $0 } ?? ""
            if let position = Self.checkpoint(of: task, in: layout) { reason += (reason.isEmpty ? "  " : "; ") + "continues from \(position.description)" }
            print("  " + columns.joined(separator: "  ") + reason)
            if task.state == .failed {
                for line in RunFiles.lastLines(of: layout.stderr(task.id), count: 5) { print("      | \(line)") }
            }
        }
    }

    /// Where an unfinished task will continue from: its newest complete checkpoint, or its
    /// first prompt not done.
    private static func checkpoint(of task: TaskRecord, in layout: RunLayout) -> TaskCheckpoints.Position? {
        task.state.isDone ? nil : TaskCheckpoints(layout: layout, task: task.id).latest(for: task.fingerprint)
    }

    /// A run whose ablate died says so, rather than "running" forever.
    private func displayState(_ record: RunRecord, live: Bool) -> String {
        record.state == .running && !live ? "stopped unexpectedly (resume it with 'ablate resume \(record.id)')" : record.state.rawValue
    }
}

/// Reading logs for the commands that show them.
enum RunFiles {
    static func lastLines(of path: String, count: Int) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }.suffix(count).map { $0 }
    }
}
