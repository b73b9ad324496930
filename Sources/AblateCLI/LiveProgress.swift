import AblateRun
import AblateStore
import Foundation

/// The live view on a terminal: counts by state, the running tasks with their elapsed time and
/// the last line they printed (pip's progress while an environment is built, a trainer's
/// latest log), and an estimate of the time left from the durations of finished tasks.
/// Finished tasks scroll above it as lines.
final class LiveProgress: RunObserver, @unchecked Sendable {
    /// Where a running task's standard output goes, once the run directory is known.
    var standardOutput: (@Sendable (String) -> String)?
    private let lock = NSLock()
    private let lines = LineProgress()
    private var running: [String: Date] = [:]
    private var counts: [String: Int] = [:]
    private var durations: [Double] = []
    private var remaining = 0
    private var drawnLines = 0
    private var timer: DispatchSourceTimer?

    func runStarted(_ run: RunRecord, decisions: [TaskDecision]) {
        lock.withLock {
            remaining = decisions.filter(\.executes).count
            counts["cached"] = decisions.count - remaining
        }
        clearAndWrite("run \(run.study)/\(run.id): \(remaining) to run of \(decisions.count) tasks")
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now(), repeating: 0.5)
        timer.setEventHandler { [weak self] in self?.draw() }
        timer.resume()
        self.timer = timer
    }

    func taskStarted(_ task: String, attempt: Int) {
        lock.withLock { running[task] = Date() }
    }

    func taskEnded(_ record: TaskRecord, willRetry: Bool) {
        lock.withLock {
            running[record.id] = nil
            if !willRetry {
                counts[record.state.rawValue, default: 0] += 1
                remaining -= 1
                if let duration = record.lastAttempt?.duration { durations.append(duration) }
            }
        }
        let duration = record.lastAttempt?.duration.map { " in \(SecondsText.tenths($0))s" } ?? ""
        clearAndWrite("\(willRetry ? "will retry" : record.state.rawValue) \(record.id)\(duration)\(record.reason.map { ": \($0)" } ?? "")")
    }

    func runFinished(_ run: RunRecord, tasks: [TaskRecord]) {
        timer?.cancel()
        clearAndWrite("")
        lines.runFinished(run, tasks: tasks)
    }

    func warning(_ message: String) {
        clearAndWrite("warning: \(message)")
    }

    private func clearAndWrite(_ line: String) {
        lock.withLock {
            var text = String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines)
            drawnLines = 0
            if !line.isEmpty { text += line + "\n" }
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    private func draw() {
        lock.withLock {
            let now = Date()
            var text = String(repeating: "\u{1B}[1A\u{1B}[2K", count: drawnLines)
            let summary =
                counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" } + ["\(running.count) running", "\(max(remaining - running.count, 0)) waiting"]
            var view = [summary.joined(separator: " · ") + eta()]
            for (task, started) in running.sorted(by: { $0.value < $1.value }).prefix(8) {
                let line = String(format: "  %6.1fs  %@", now.timeIntervalSince(started), task)
                let latest = standardOutput.flatMap { LastLine.of(file: $0(task)) }.map { "  · " + $0 } ?? ""
                view.append(String((line + latest).prefix(120)))
            }
            if running.count > 8 { view.append("  … and \(running.count - 8) more") }
            text += view.joined(separator: "\n") + "\n"
            drawnLines = view.count
            FileHandle.standardError.write(Data(text.utf8))
        }
    }

    /// ` · about 3m left`, once some tasks have finished.
    private func eta() -> String {
        guard !durations.isEmpty, remaining > 0 else { return "" }
        let average = durations.reduce(0, +) / Double(durations.count)
        let seconds = Int(average * Double(remaining) / Double(max(running.count, 1)))
        return seconds >= 60 ? " · about \(seconds / 60)m left" : " · about \(seconds)s left"
    }
}
