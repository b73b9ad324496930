import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension RunSession: SchedulerDelegate {
    public func prepare(task id: String, attempt: Int, allocation: ResourcePool.Allocation) throws -> LaunchRequest {
        guard let task = tasksByID[id] else { throw RunSessionError.notARun(id) }
        let manager = FileManager.default
        try Directories.make(layout.taskDirectory(id))
        // Start clean: a failed attempt's partial outputs (or a link to an older result) go.
        let outputs = layout.outputs(id)
        if (try? manager.destinationOfSymbolicLink(atPath: outputs)) != nil || manager.fileExists(atPath: outputs) {
            try manager.removeItem(atPath: outputs)
        }
        try Directories.make(outputs)
        for output in task.outputs { try Directories.make(outputs + "/" + output) }
        try? manager.removeItem(atPath: layout.metrics(id))
        let request = resolver.request(for: task, gpus: limits.assignedByExecutor ? nil : allocation.gpus)
        try AtomicFile.writeJSON(CommandRecord(request), to: layout.command(id), durability: .deferred)
        // Written once the process exists and its group id is known (`started`).
        try update(id, metrics: MetricsRecord(), write: false) { record in
            record.state = .running
            record.reason = nil
            record.cachedFrom = nil
            record.outputs = [:]
            // Attempts are numbered across every session of the run.
            record.attempts.append(AttemptRecord(number: (record.attempts.last?.number ?? 0) + 1, startedAt: Timestamp.now(), state: .running))
        }
        try journal.append(RunEvent(.taskStarted, task: id, attempt: attempt, state: "running"))
        observer?.taskStarted(id, attempt: attempt)
        return request
    }

    public func started(task id: String, attempt: Int, handle: LaunchHandle) {
        // The group id or job id is recorded before anything else happens, so that a resume
        // after a crash can find what this run left behind: it stops processes, and follows jobs.
        try? update(id, metrics: MetricsRecord()) { record in
            guard let last = record.attempts.indices.last, record.attempts[last].endedAt == nil else { return }
            switch handle {
            case .processGroup(let group): record.attempts[last].pid = group
            case .slurmJob(let job): record.attempts[last].jobID = job
            }
        }
    }

    public func following(task id: String, handle: LaunchHandle) {
        let job = record(of: id)?.lastAttempt?.jobID ?? "\(handle)"
        try? journal.append(RunEvent(.taskAdopted, task: id, state: "running", message: "following Slurm job \(job)"))
        observer?.taskStarted(id, attempt: record(of: id)?.lastAttempt?.number ?? 1)
    }

    public func finished(task id: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String? {
        guard let task = tasksByID[id] else { return nil }
        var refusal: String?
        var metrics = MetricsRecord()
        var outputs: [String: String] = [:]
        if result.succeeded {
            do {
                metrics = MetricsReader().read(outputs: layout.outputs(id), declared: metricFiles[id] ?? [])
                try AtomicFile.writeJSON(metrics, to: layout.metrics(id), durability: .deferred)
                let origin = CacheOrigin(run: run.id, task: id, study: run.study)
                try cache.store(outputsAt: layout.outputs(id), fingerprint: task.fingerprint, origin: origin, metrics: metrics)
                outputs = outputPaths(task)
            } catch {
                refusal = "its outputs could not be stored: \(error)"
            }
        }
        let state: TaskRecord.State
        if result.succeeded && refusal == nil {
            state = .completed
        } else if result.interrupted {
            state = .interrupted
        } else {
            state = willRetry ? .pending : .failed
        }
        let reason = refusal ?? Self.describe(result)
        try? update(id, metrics: metrics) { record in
            record.state = state
            record.reason = state == .completed ? nil : (willRetry ? "retrying: " : "") + reason
            record.outputs = outputs
            if let index = record.attempts.indices.last {
                record.attempts[index].endedAt = Timestamp.now()
                record.attempts[index].state = state == .pending ? .failed : state
                if case .exited(let code)? = result.exit { record.attempts[index].exitCode = code }
                if case .signaled(let signal)? = result.exit { record.attempts[index].signal = signal }
                record.attempts[index].timedOut = result.timedOut
            }
        }
        let exitCode: Int32? = if case .exited(let code)? = result.exit { code } else { nil }
        try? journal.append(
            RunEvent(willRetry ? .taskRetrying : .taskFinished, task: id, attempt: attempt, state: state.rawValue, exitCode: exitCode, message: reason))
        if let record = record(of: id) { observer?.taskEnded(record, willRetry: willRetry) }
        return refusal
    }

    public func skipped(task id: String, because dependency: String) {
        try? update(id, metrics: nil) { record in
            record.state = .skipped
            record.reason = "not run: \(dependency) failed"
        }
        try? journal.append(RunEvent(.taskSkipped, task: id, state: "skipped", message: dependency))
        if let record = record(of: id) { observer?.taskEnded(record, willRetry: false) }
    }

    /// How an attempt ended, in words.
    static func describe(_ result: AttemptResult) -> String {
        if let error = result.error { return error }
        if result.timedOut { return "timed out" }
        switch result.exit {
        case .exited(let code)?: return code == 0 ? "completed" : "exited with code \(code)"
        case .signaled(let signal)?: return "killed by signal \(signal)\(result.interrupted ? " (interrupted)" : "")"
        case nil: return "did not run"
        }
    }
}
