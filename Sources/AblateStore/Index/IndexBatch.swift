import Foundation
import Synchronization

/// The index rows of a running run's tasks, written in batches. A task's change of state is
/// written to its files at once; its row follows with the other changes of the next `delay`,
/// in one transaction, on a queue of its own, so that a run of many short tasks pays one
/// commit per batch instead of one per change, and no task waits for SQLite. A task changed
/// twice within a batch is written once, as it was last, with the metrics its files hold then.
///
/// The index lags the files by at most `delay`, or until `flush()`; the files are the truth,
/// and a resume after a killed ablate, or `ablate reindex`, rebuilds the index from them. A
/// batch that cannot be written keeps its error: the next `add` or `flush` throws it, and the
/// run stops with it.
final class IndexBatch: Sendable {
    private struct Pending {
        /// Task ids in the order of their first change in this batch.
        var order: [String] = []
        var records: [String: TaskRecord] = [:]
        /// Metrics given with a change; a task without is read from its `metrics.json`.
        var metrics: [String: MetricsRecord] = [:]
        var runID = ""
        var scheduled = false
        var failure: (any Error)?
    }

    private let index: RunIndex
    private let layout: RunLayout
    private let delay: DispatchTimeInterval
    private let pending = Mutex(Pending())
    /// Writes one batch at a time, whether a timer or `flush` asks.
    private let queue = DispatchQueue(label: "ablate.index-batch")

    init(index: RunIndex, layout: RunLayout, delay: DispatchTimeInterval = .milliseconds(50)) {
        self.index = index
        self.layout = layout
        self.delay = delay
    }

    /// Queues the task's row; the first change of a batch schedules its write.
    func add(_ record: TaskRecord, metrics: MetricsRecord?, runID: String) throws {
        let schedule = try pending.withLock { pending throws -> Bool in
            if let failure = pending.failure { throw failure }
            if pending.records.updateValue(record, forKey: record.id) == nil { pending.order.append(record.id) }
            pending.metrics[record.id] = metrics
            pending.runID = runID
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { queue.asyncAfter(deadline: .now() + delay) { [self] in try? write() } }
    }

    /// Writes what is queued now.
    func flush() throws {
        try queue.sync { try write() }
    }

    /// Takes the queued rows and writes them in one transaction.
    private func write() throws {
        let (records, metrics, runID, failure) = pending.withLock { pending in
            defer {
                pending.order = []
                pending.records = [:]
                pending.metrics = [:]
                pending.scheduled = false
            }
            return (pending.order.compactMap { pending.records[$0] }, pending.metrics, pending.runID, pending.failure)
        }
        if let failure { throw failure }
        guard !records.isEmpty else { return }
        do {
            // No `metrics.json` means no metrics: the rows say what the files say.
            let rows = try records.map { record in (record, try metrics[record.id] ?? layout.readMetricsRecord(record.id) ?? MetricsRecord()) }
            try index.record(tasks: rows, runID: runID)
        } catch {
            pending.withLock { $0.failure = $0.failure ?? error }
            throw error
        }
    }
}
