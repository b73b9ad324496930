import AblateCore
import Foundation
import Synchronization

/// The run directory as one store: its files, written first and atomically, then its index
/// and journal. Every change of a task's state goes through `transition`, which applies the
/// task state machine and writes what it produced; the caller serialises calls per task.
public final class RunStore: Sendable {
    public let layout: RunLayout
    public let index: RunIndex
    public let journal: EventJournal
    /// The task directories known to exist, so that each is made once per session.
    private let taskDirectories = Mutex<Set<String>>([])

    /// Task rows on their way to the index.
    private let indexBatch: IndexBatch

    /// Whether the index held every change of the run's files when this store opened it: the
    /// last session that wrote them closed it, or `ablate reindex` rebuilt it. When not (an
    /// ablate was killed, or an older one wrote it), the opener rebuilds it from the files.
    public let indexWasComplete: Bool
    /// Whether the index holds every change once this store's queued rows are written: what
    /// closing it records for the next session.
    private let indexComplete: Mutex<Bool>

    /// Opens the run's index (damaged: an error naming `ablate reindex`) and journal. The
    /// caller holds the run's lock: while a store is open, the index counts as incomplete.
    public init(layout: RunLayout) throws {
        self.layout = layout
        index = try layout.openIndex()
        do {
            indexWasComplete = try index.beginWriting()
        } catch {
            throw RunStoreError.damagedIndex(path: layout.index, cause: RunStoreError.cause(of: error))
        }
        indexComplete = Mutex(indexWasComplete)
        journal = try EventJournal(path: layout.events)
        indexBatch = IndexBatch(index: index, layout: layout)
    }

    /// Replaces the whole index with the records read from every file of the run: from then
    /// on it holds every change of the files.
    public func rebuildIndex(run: RunRecord, variants: [PlannedVariant], tasks: [(TaskRecord, MetricsRecord?)]) throws {
        try index.replaceAll(run: run, variants: variants, tasks: tasks)
        indexComplete.withLock { $0 = true }
    }

    /// Applies `event` to `record` and writes the result: `status.json`, the journal line, and
    /// the task's row for the index's next batch (with `metrics`, or the task's `metrics.json`
    /// when nil).
    @discardableResult
    public func transition(
        _ record: TaskRecord, _ event: TaskEvent, runID: String, metrics: MetricsRecord? = nil, durability: AtomicFile.Durability = .file
    ) throws -> TaskRecord {
        let (next, line) = TaskLifecycle.apply(event, to: record, at: Timestamp.now())
        try save(next, runID: runID, metrics: metrics, durability: durability)
        if let line { try journal.append(line) }
        return next
    }

    /// Writes a task's record to `status.json`, and queues its row for the index's next batch.
    public func save(_ record: TaskRecord, runID: String, metrics: MetricsRecord? = nil, durability: AtomicFile.Durability = .file) throws {
        try writeStatus(record, durability: durability)
        try indexBatch.add(record, metrics: metrics, runID: runID)
    }

    /// Writes a task's record to `status.json` only, for a caller that writes the index itself.
    public func writeStatus(_ record: TaskRecord, durability: AtomicFile.Durability) throws {
        try makeTaskDirectory(record.id)
        try AtomicFile.writeJSONLine(record, to: layout.status(record.id), durability: durability)
    }

    /// Writes a task's `metrics.json` when it has metrics, and removes an earlier one when not:
    /// no file means no metrics, in the files as in the index. Left to the kernel to flush
    /// (`deferred`): the next flush of the run's writes covers it.
    public func saveMetrics(_ metrics: MetricsRecord, of task: String) throws {
        if metrics.isEmpty {
            unlink(layout.metrics(task))
        } else {
            try AtomicFile.writeJSONLine(metrics, to: layout.metrics(task), durability: .deferred)
        }
    }

    /// Writes the task rows still queued to the index now.
    public func flushIndex() throws {
        try indexBatch.flush()
    }

    /// Writes the queued task rows and closes the index, which folds its write-ahead log into
    /// it; an index that now holds every change of the files is marked so, and the next session
    /// need not rebuild it.
    public func closeIndex() throws {
        try indexBatch.flush()
        if indexComplete.withLock({ $0 }) { try index.setComplete(true) }
        try index.writer.close()
    }

    /// Makes a task's directory, unless this store made or found it already; true when it was
    /// made now, empty.
    @discardableResult
    public func makeTaskDirectory(_ id: String) throws -> Bool {
        guard !taskDirectories.withLock({ $0.contains(id) }) else { return false }
        let made = try Directories.make(layout.taskDirectory(id))
        taskDirectories.withLock { _ = $0.insert(id) }
        return made
    }

    /// Writes `run.json` and the run's row (after the task rows queued before it).
    public func save(_ run: RunRecord) throws {
        try AtomicFile.writeJSON(run, to: layout.runRecord)
        try indexBatch.flush()
        try index.record(run: run)
    }
}
