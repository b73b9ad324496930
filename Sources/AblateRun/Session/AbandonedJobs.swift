import AblateStore
import Foundation

/// Slurm jobs that an ablate which died left queued or running: `ablate cancel` on a run no
/// ablate drives cancels them and records their tasks as interrupted, so that nothing keeps
/// computing for a run nobody follows.
public enum AbandonedJobs {
    /// Cancels the run's abandoned jobs with one scancel and returns their ids (none when there
    /// are none). Takes the run's lock, so it refuses a run that an ablate is driving.
    public static func cancel(runDirectory: String) async throws -> [String] {
        let layout = RunLayout(runDirectory: runDirectory)
        let lock = try RunLock(path: layout.lockFile)
        defer { lock.release() }
        let abandoned = layout.taskRecords().filter { record in
            record.state == .running && record.lastAttempt?.endedAt == nil && record.lastAttempt?.jobID != nil
        }
        let jobs = abandoned.compactMap { $0.lastAttempt?.jobID }
        guard !jobs.isEmpty else { return [] }
        try await SlurmClient().cancel(jobs)
        let runID = (try? AtomicFile.readJSON(RunRecord.self, from: layout.runRecord))?.id ?? layout.runID
        let index = try RunIndex(path: layout.index)
        let journal = try EventJournal(path: layout.events)
        for var record in abandoned {
            let reason = "its Slurm job \(record.lastAttempt?.jobID ?? "") was cancelled with 'ablate cancel' while no ablate followed it"
            record.state = .interrupted
            record.reason = reason
            if let last = record.attempts.indices.last {
                record.attempts[last].state = .interrupted
                record.attempts[last].endedAt = Timestamp.now()
            }
            try AtomicFile.writeJSON(record, to: layout.status(record.id))
            try index.record(task: record, metrics: nil, runID: runID)
            try journal.append(RunEvent(.taskRecovered, task: record.id, state: "interrupted", message: reason))
        }
        return jobs
    }
}
