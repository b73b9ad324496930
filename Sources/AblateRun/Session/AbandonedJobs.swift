import AblateStore
import Foundation

/// Attempts that an ablate which died left running: `ablate cancel` on a run no ablate drives
/// stops them (Slurm jobs with one scancel, local process groups with SIGKILL) and records
/// their tasks as interrupted, so that nothing keeps computing for a run nobody follows.
public enum AbandonedJobs {
    /// Stops the run's abandoned attempts and returns what it stopped (nothing when there is
    /// nothing left). Takes the run's lock, so it refuses a run that an ablate is driving.
    public static func cancel(runDirectory: String) async throws -> [LaunchHandle] {
        let layout = RunLayout(runDirectory: runDirectory)
        let run = try layout.readRunRecord()
        let lock = try RunLock(path: layout.lockFile)
        defer { lock.release() }
        let records = try layout.taskRecords()
        let abandoned = records.filter { $0.state == .running && $0.lastAttempt?.endedAt == nil && $0.lastAttempt?.handle != nil }
        let unrecorded = try unrecordedFirstAttempts(layout: layout, recorded: Set(records.map(\.id)))
        guard !abandoned.isEmpty || !unrecorded.isEmpty else { return [] }
        let handles = abandoned.compactMap { $0.lastAttempt?.handle } + unrecorded
        var stopped: [LaunchHandle] = []
        for group in Dictionary(grouping: handles, by: \.executor).values {
            guard let first = group.first else { continue }
            stopped += try await ExecutorRuntime.owner(of: first, current: nil, killGrace: 0).cancelAbandoned(group)
        }
        let store = try RunStore(layout: layout)
        for record in abandoned {
            guard let handle = record.lastAttempt?.handle else { continue }
            let reason =
                stopped.contains(handle)
                ? "its \(handle) was stopped with 'ablate cancel' while no ablate followed it"
                : "its \(handle) had already ended when 'ablate cancel' looked, while no ablate followed it"
            try store.transition(record, .abandoned(reason: reason), runID: run.id)
        }
        // The rows go to the index now, before ablate exits, not with a later batch.
        try store.closeIndex()
        return stopped
    }

    /// The first attempts still supervised of the tasks with no record (their records wait a
    /// moment after they start: `RunSession.started`), found by their exit records' paths.
    /// Stopped, each leaves an exit record that a resume takes as its end.
    private static func unrecordedFirstAttempts(layout: RunLayout, recorded: Set<String>) throws -> [LaunchHandle] {
        let unrecorded = try layout.plannedTaskIDs().filter { !recorded.contains($0) }
        guard !unrecorded.isEmpty else { return [] }
        let supervisors = SupervisorProgram.running()
        return unrecorded.compactMap { id in
            let exitRecord = layout.exitRecord(id, attempt: 1)
            return SupervisorProgram.supervisedAttempt(recordingTo: exitRecord, supervisors: supervisors).map {
                .processGroup($0, exitRecord: exitRecord)
            }
        }
    }
}
