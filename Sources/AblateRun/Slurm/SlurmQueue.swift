import AblateStore
import Foundation

/// Follows every job of a run with one `squeue` call per poll interval, never one per job,
/// asks `sacct` about jobs that left the queue, and cancels jobs that run past their time
/// limit.
final class SlurmQueue: @unchecked Sendable {
    /// One job someone waits for.
    private struct Watch {
        var continuation: CheckedContinuation<LaunchOutcome, any Error>
        var timeLimitSeconds: Int?
        var cancelledForTime = false
        /// Polls in a row in which Slurm knew nothing of the job.
        var unknownPolls = 0
    }

    private let client: SlurmClient
    private let pollInterval: Double
    private let lock = NSLock()
    private var watches: [String: Watch] = [:]
    private var poller: Task<Void, Never>?
    /// Polls in a row in which squeue failed.
    private var failedPolls = 0

    /// After this many polls in a row without an answer from Slurm, the waits fail.
    static let failedPollLimit = 10
    /// After this many polls in a row in which neither squeue nor sacct knew a job, it is lost.
    static let unknownPollLimit = 3

    init(client: SlurmClient, pollInterval: Double) {
        self.client = client
        self.pollInterval = pollInterval
    }

    /// Waits until the job ends.
    func wait(for job: String, timeLimitSeconds: Int?) async throws -> LaunchOutcome {
        try await withCheckedThrowingContinuation { continuation in
            lock.withLock {
                watches[job] = Watch(continuation: continuation, timeLimitSeconds: timeLimitSeconds)
                if poller == nil { poller = Task { await self.poll() } }
            }
        }
    }

    private func poll() async {
        while true {
            try? await Task.sleep(for: .clampedSeconds(pollInterval))
            let jobs = lock.withLock { () -> [String] in
                if watches.isEmpty { poller = nil }
                return Array(watches.keys)
            }
            if jobs.isEmpty { return }
            do {
                let queue = try await client.queue()
                lock.withLock { failedPolls = 0 }
                var ended: [String: SlurmJobState] = [:]
                var overdue: [String] = []
                let missing = jobs.filter { queue[$0] == nil }
                for job in jobs {
                    guard let state = queue[job] else { continue }
                    if state.outcome() != nil {
                        ended[job] = state
                    } else if isOverdue(job, state) {
                        overdue.append(job)
                    }
                }
                if !missing.isEmpty, let accounted = try? await client.accounting(missing) {
                    ended.merge(accounted.filter { missing.contains($0.key) && $0.value.outcome() != nil }) { first, _ in first }
                }
                if !overdue.isEmpty {
                    lock.withLock { for job in overdue { watches[job]?.cancelledForTime = true } }
                    try? await client.cancel(overdue)
                }
                settle(ended, unknown: missing.filter { ended[$0] == nil })
            } catch {
                failAllAfterRepeatedFailures(error)
            }
        }
    }

    private func isOverdue(_ job: String, _ state: SlurmJobState) -> Bool {
        guard state.isRunning, let start = state.startTime else { return false }
        return lock.withLock {
            guard let watch = watches[job], let limit = watch.timeLimitSeconds, !watch.cancelledForTime else { return false }
            return Date().timeIntervalSince1970 - start > Double(limit)
        }
    }

    /// Resumes the waits of jobs that ended, and gives up on jobs Slurm has forgotten.
    private func settle(_ ended: [String: SlurmJobState], unknown: [String]) {
        var resumptions: [(CheckedContinuation<LaunchOutcome, any Error>, LaunchOutcome)] = []
        lock.withLock {
            for (job, state) in ended {
                guard let watch = watches.removeValue(forKey: job), let outcome = state.outcome(cancelledForTime: watch.cancelledForTime) else { continue }
                resumptions.append((watch.continuation, outcome))
            }
            for job in unknown {
                watches[job]?.unknownPolls += 1
                guard let watch = watches[job], watch.unknownPolls >= Self.unknownPollLimit else { continue }
                watches[job] = nil
                let lost = "Slurm no longer knows job \(job): it left the queue and has no accounting record"
                resumptions.append((watch.continuation, LaunchOutcome(exit: nil, failure: lost)))
            }
        }
        for (continuation, outcome) in resumptions { continuation.resume(returning: outcome) }
    }

    private func failAllAfterRepeatedFailures(_ error: any Error) {
        let failing = lock.withLock { () -> [CheckedContinuation<LaunchOutcome, any Error>] in
            failedPolls += 1
            guard failedPolls >= Self.failedPollLimit else { return [] }
            failedPolls = 0
            defer { watches.removeAll() }
            return watches.values.map(\.continuation)
        }
        for continuation in failing { continuation.resume(throwing: error) }
    }
}
