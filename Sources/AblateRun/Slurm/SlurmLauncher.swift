import AblateCore
import AblateStore
import Foundation

/// The Slurm executor: every attempt is an sbatch job with the task's resources, followed
/// through one shared `squeue` poll, and stopped with `scancel`. ablate stays on the
/// submitting machine; the job runs in the task's directory (which must be on a filesystem
/// the nodes share) and writes its logs there.
public final class SlurmLauncher: ProcessLauncher {
    let options: SlurmOptions
    private let client = SlurmClient()
    private let queue: SlurmQueue

    public init(options: SlurmOptions) {
        self.options = options
        queue = SlurmQueue(client: client, pollInterval: options.pollInterval)
    }

    public func launch(_ request: LaunchRequest, started: @escaping @Sendable (LaunchHandle) -> Void) async throws -> LaunchOutcome {
        let script = request.batchScript
        let submission = SlurmSubmission(request: request, options: options, scriptPath: script)
        try Data(submission.script.utf8).write(to: URL(fileURLWithPath: script))
        let job = try await client.submit(submission)
        started(.slurmJob(job))
        return try await queue.wait(for: job, timeLimitSeconds: request.resources.timeLimitSeconds)
    }

    public var executor: Executor.Kind { .slurm }

    /// A job goes on without ablate: any later ablate can follow it.
    public func canFollow(_ handle: LaunchHandle) -> Bool { handle.executor == .slurm }

    public func follow(_ handle: LaunchHandle, resources: TaskResources) async throws -> LaunchOutcome {
        guard case .slurmJob(let job) = handle else { throw CannotFollow(handle: handle) }
        return try await queue.wait(for: job, timeLimitSeconds: resources.timeLimitSeconds)
    }

    /// `scancel` for all the jobs in one call: Slurm signals them and kills them after its
    /// own grace (KillWait), so forcing asks again.
    public func stop(_ handles: [LaunchHandle], force: Bool) {
        let jobs = Self.jobs(handles)
        guard !jobs.isEmpty else { return }
        let client = self.client
        Task { try? await client.cancel(jobs) }
    }

    /// Cancels the job (a job that already ended is left as it is by scancel).
    public func recover(_ handle: LaunchHandle) async throws {
        let jobs = Self.jobs([handle])
        if !jobs.isEmpty { try await client.cancel(jobs) }
    }

    /// Cancels the jobs with one scancel.
    public func cancelAbandoned(_ handles: [LaunchHandle]) async throws -> [LaunchHandle] {
        let jobs = Self.jobs(handles)
        guard !jobs.isEmpty else { return [] }
        try await client.cancel(jobs)
        return jobs.map { .slurmJob($0) }
    }

    private static func jobs(_ handles: [LaunchHandle]) -> [String] {
        handles.compactMap { handle in
            if case .slurmJob(let job) = handle { return job }
            return nil
        }
    }
}
