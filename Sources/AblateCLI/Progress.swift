import AblateRun
import AblateStore
import Foundation

/// Progress as plain lines, one per event: for logs and terminals that are not interactive.
final class LineProgress: RunObserver, @unchecked Sendable {
    private let lock = NSLock()
    private let output: FileHandle
    private var done = 0
    private var total = 0

    init(output: FileHandle = .standardError) {
        self.output = output
    }

    func write(_ line: String) {
        lock.withLock { output.write(Data((line + "\n").utf8)) }
    }

    func runStarted(_ run: RunRecord, decisions: [TaskDecision]) {
        let toRun = decisions.filter(\.executes).count
        lock.withLock {
            total = decisions.count
            done = decisions.count - toRun
        }
        write("run \(run.study)/\(run.id): \(toRun) to run, \(decisions.count - toRun) cached or done, of \(decisions.count) tasks")
    }

    func taskStarted(_ task: String, attempt: Int) {
        write("started   \(task)\(attempt > 1 ? " (attempt \(attempt))" : "")")
    }

    func taskEnded(_ record: TaskRecord, willRetry: Bool) {
        let count = lock.withLock { () -> String in
            if !willRetry { done += 1 }
            return "[\(done)/\(total)]"
        }
        let duration = record.lastAttempt?.duration.map { " in \(SecondsText.tenths($0))s" } ?? ""
        let state = willRetry ? "will retry" : record.state.rawValue
        write("\(count) \(state.rightPadded(to: 11)) \(record.id)\(duration)\(record.reason.map { ": \($0)" } ?? "")")
    }

    func runFinished(_ run: RunRecord, tasks: [TaskRecord]) {
        var counts: [String: Int] = [:]
        for task in tasks { counts[task.state.rawValue, default: 0] += 1 }
        let summary = counts.keys.sorted().map { "\(counts[$0] ?? 0) \($0)" }.joined(separator: ", ")
        write("run \(run.id) \(run.state.rawValue): \(summary)")
    }

    func warning(_ message: String) {
        write("warning: \(message)")
    }
}

/// Every event as one JSON object per line on standard output, for programs.
final class JSONProgress: RunObserver, @unchecked Sendable {
    private let lock = NSLock()

    private func emit(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        lock.withLock { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
    }

    func runStarted(_ run: RunRecord, decisions: [TaskDecision]) {
        emit([
            "event": "run-started", "run": run.id, "study": run.study,
            "tasks": decisions.map { ["task": $0.task, "action": $0.action.rawValue, "reason": $0.reason] },
        ])
    }

    func taskStarted(_ task: String, attempt: Int) {
        emit(["event": "task-started", "task": task, "attempt": attempt])
    }

    func taskEnded(_ record: TaskRecord, willRetry: Bool) {
        var object: [String: Any] = ["event": willRetry ? "task-retrying" : "task-ended", "task": record.id, "state": record.state.rawValue]
        if let code = record.lastAttempt?.exitCode { object["exitCode"] = Int(code) }
        if let duration = record.lastAttempt?.duration { object["seconds"] = duration }
        if let reason = record.reason { object["reason"] = reason }
        emit(object)
    }

    func runFinished(_ run: RunRecord, tasks: [TaskRecord]) {
        emit(["event": "run-finished", "run": run.id, "state": run.state.rawValue])
    }

    func warning(_ message: String) {
        emit(["event": "warning", "message": message])
    }
}
