import AblateCore
import Foundation

/// The Slurm executor: every attempt is an sbatch job with the task's resources, followed
/// through one shared `squeue` poll, and stopped with `scancel`. ablate stays on the
/// submitting machine; the job runs in the task's directory (which must be on a filesystem
/// the nodes share) and writes its logs there.
public final class SlurmLauncher: ProcessLauncher {
    let executor: ExecutorSpec
    private let client = SlurmClient()
    private let queue: SlurmQueue

    public init(executor: ExecutorSpec) {
        self.executor = executor
        queue = SlurmQueue(client: client, pollInterval: executor.pollInterval)
    }

    public func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome {
        let script = request.workingDirectory + "/job.sh"
        try Data(SlurmSubmission.batchScript.utf8).write(to: URL(fileURLWithPath: script))
        let job = try await client.submit(SlurmSubmission(request: request, executor: executor, scriptPath: script))
        started(.slurmJob(job))
        return try await queue.wait(for: job, timeLimitSeconds: request.resources.timeLimitSeconds)
    }

    public func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome? {
        guard case .slurmJob(let job) = handle else { return nil }
        return try await queue.wait(for: job, timeLimitSeconds: resources.timeLimitSeconds)
    }

    /// `scancel` for all the jobs in one call: Slurm signals them and kills them after its
    /// own grace (KillWait), so forcing asks again.
    public func stop(_ handles: [LaunchHandle], force: Bool) {
        let jobs = handles.compactMap { handle -> String? in
            if case .slurmJob(let job) = handle { return job }
            return nil
        }
        guard !jobs.isEmpty else { return }
        let client = self.client
        Task { try? await client.cancel(jobs) }
    }
}
