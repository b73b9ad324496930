import AblateCore
import AblateStore
import Foundation

extension RunSession: SchedulerDelegate {
    public func waitForRoom(task id: String) async {
        guard let task = tasksByID[id],
            let estimate = spaceCheck.estimate(for: task, isDone: { self.record(of: $0)?.state.isDone == true })
        else { return }
        let needed = Int64(Double(estimate.bytes) * SpaceCheck.margin)
        var waited = false
        while !registry.isInterrupted, let free = SpaceCheck.freeBytes(at: layout.runDirectory), free < needed {
            if !waited {
                observer?.warning(
                    "\(id): waiting for disk space: it needs about \(DiskUsage.format(needed)) (\(estimate.basis)), and \(DiskUsage.format(free)) are free where its outputs go (\(layout.runDirectory)); it starts once there is room (free some, or run 'ablate gc')"
                )
                waited = true
            }
            try? await Task.sleep(for: .clampedSeconds(options.diskSpacePollInterval))
        }
        if waited && !registry.isInterrupted { observer?.warning("\(id): there is room on the disk now: starting") }
    }

    /// Makes the task's directory, and the command of a task that takes no devices (the only
    /// part of its start that depends on the slot it gets), ready ahead of its first attempt.
    public func stage(task id: String) -> Bool {
        guard let task = tasksByID[id], (try? makeDirectoryReady(for: task)) != nil else { return false }
        if task.resources.totalGPUs == 0 {
            let number = nextAttemptNumber(of: id)
            let request = resolver.request(for: task, attempt: number, gpus: runtime.limits.assignedByExecutor ? nil : [])
            let command = CommandRecord(request, fingerprint: task.fingerprint.value)
            if (try? AtomicFile.writeJSONLine(command, to: layout.command(id), durability: .deferred)) != nil {
                stagedCommands.withLock { $0[id] = StagedCommand(attempt: number, request: request) }
            }
        }
        return true
    }

    public func prepare(task id: String, attempt: Int, allocation: ResourcePool.Allocation, staged: Bool) throws -> LaunchRequest {
        guard let task = tasksByID[id] else { throw RunSessionError.stateNotRecorded(task: id, "the task is not in the plan") }
        // A task starts on inputs that are on the disk: what stored them is flushed first.
        if !task.dependencies.isEmpty { commits.flush() }
        if !staged { try makeDirectoryReady(for: task) }
        // A task's checkpoints (or results per prompt) outlive the attempt; those of an earlier
        // version of the task go.
        if task.kind.descriptor.keepsProgressAcrossAttempts, try TaskCheckpoints(layout: layout, task: id).prepare(for: task.fingerprint) {
            observer?.warning(
                "\(id): its checkpoints were of an earlier version of the task (its fingerprint changed): discarded, it starts from the beginning")
        }
        let number = nextAttemptNumber(of: id)
        let request: LaunchRequest
        if staged, allocation.gpus.isEmpty, let command = stagedCommands.withLock({ $0.removeValue(forKey: id) }), command.attempt == number {
            request = command.request
        } else {
            request = resolver.request(for: task, attempt: number, gpus: runtime.limits.assignedByExecutor ? nil : allocation.gpus)
            try AtomicFile.writeJSONLine(CommandRecord(request, fingerprint: task.fingerprint.value), to: layout.command(id), durability: .deferred)
        }
        // The record is written once the process exists and its group id is known (`started`).
        try transition(id, .attemptStarted(gpus: task.resources.totalGPUs), persist: false)
        observer?.taskStarted(id, attempt: attempt)
        return request
    }

    /// The number the task's next attempt gets when it starts (attempts are numbered across
    /// sessions).
    private func nextAttemptNumber(of id: String) -> Int {
        (record(of: id)?.lastAttempt?.number ?? 0) + 1
    }

    /// Makes the task's directory and its empty outputs. Start clean: a failed attempt's
    /// partial outputs (or a link to an older result) go, and so do its metrics; a directory
    /// made now holds neither.
    private func makeDirectoryReady(for task: PlannedTask) throws {
        let outputs = layout.outputs(task.id)
        let empty = try store.makeTaskDirectory(task.id)
        var existing = stat()
        if !empty, lstat(outputs, &existing) == 0 { try FileManager.default.removeItem(atPath: outputs) }
        try Directories.make(outputs)
        for output in task.outputs { try Directories.make(outputs + "/" + output) }
        if !empty { unlink(layout.metrics(task.id)) }
    }

    public func started(task id: String, attempt: Int, handle: LaunchHandle) {
        // A task's first local attempt, while the task has no record on the disk, is found
        // without one: by its running marker or its supervisor, which name its exit record
        // (`adoptFirstAttemptsWithoutRecords` on resume, `AbandonedJobs`). Its record waits a moment
        // (`recordRunningAttempts`), and a short task's first record is the one of its end.
        if attempt == 1, case .processGroup(_, _?) = handle, access(layout.status(id), F_OK) != 0 {
            transitionOrStop(id, .launched(handle), persist: false)
            awaitRecord(of: id, attempt: attempt)
            return
        }
        // The group id or job id is recorded before anything else happens, so that a resume
        // after a crash can find what this run left behind: it stops processes, and follows jobs.
        transitionOrStop(id, .launched(handle), metrics: MetricsRecord())
    }

    public func following(task id: String, handle: LaunchHandle) {
        transitionOrStop(id, .adopted)
        observer?.taskStarted(id, attempt: record(of: id)?.lastAttempt?.number ?? 1)
    }

    public func finished(task id: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String? {
        guard let task = tasksByID[id] else { return nil }
        var refusal: String?
        var metrics = MetricsRecord()
        var outputs: [String: String] = [:]
        var outputBytes: Int64 = 0
        if result.succeeded {
            do {
                let reading = MetricsReader().read(outputs: layout.outputs(id), declared: task.metricFiles)
                outputBytes = reading.outputBytes
                for problem in reading.problems { observer?.warning("\(id): \(problem)") }
                metrics = reading.record
                // The attempt started without a metrics file (`prepare`): none is left to remove.
                if !metrics.isEmpty { try store.saveMetrics(metrics, of: id) }
                let origin = CacheOrigin(run: runID, task: id, study: study)
                try cache.store(outputsAt: layout.outputs(id), fingerprint: task.fingerprint, origin: origin, metrics: metrics, durability: .deferred)
                outputs = outputPaths(task)
                if task.kind.descriptor.keepsProgressAcrossAttempts { try TaskCheckpoints(layout: layout, task: id).remove() }
            } catch {
                refusal = "its outputs could not be stored: \(error)"
            }
        }
        let outcome: AttemptEnd.Outcome
        if result.succeeded && refusal == nil {
            outcome = .completed
        } else if result.interrupted {
            outcome = .interrupted
        } else {
            outcome = .failed
        }
        let end = AttemptEnd(
            outcome: outcome, willRetry: willRetry && outcome == .failed, exit: result.exit, timedOut: result.timedOut,
            reason: refusal ?? Self.describe(result, lastError: result.succeeded ? nil : LastLine.of(file: layout.stderr(id))), outputs: outputs)
        if let record = transitionOrStop(id, .attemptEnded(end), metrics: metrics) { observer?.taskEnded(record, willRetry: end.willRetry) }
        if outcome == .completed {
            spaceCheck.completed(id, bytes: outputBytes)
            releaseTemporaries(among: task.dependencies)
        }
        uploadOfflineTrackerRuns(of: task)
        return refusal
    }

    /// The offline W&B runs a training attempt left are uploaded from here once it ended,
    /// whatever its outcome, beside the tasks that run on; the session waits for the uploads
    /// before it ends. A failed upload is a warning, never a failed task.
    func uploadOfflineTrackerRuns(of task: PlannedTask) {
        guard let wandb = tracking.wandb, wandb.mode == .offline, TrackingSpec.trackedKinds.contains(task.kind) else { return }
        let sync = WandbSync(layout: layout, settings: wandb)
        guard sync.hasOfflineRuns(task.id) else { return }
        let observer = observer
        let upload = Task {
            let outcome = await sync.sync(task: task.id, fingerprint: task.fingerprint)
            if !outcome.succeeded {
                observer?.warning(
                    "\(task.id): its W&B runs were not uploaded (\(outcome.cause)); they stay in its directory, and 'ablate sync \(layout.runID)' tries again")
            }
        }
        uploads.withLock { $0.append(upload) }
    }

    public func skipped(task id: String, because dependency: String) {
        if let record = transitionOrStop(id, .skipped(dependency: dependency)) { observer?.taskEnded(record, willRetry: false) }
    }

    /// How an attempt ended, in words; a failed command's last line of standard error is its
    /// cause (`exited with code 1: error: model org/x is gated: …`).
    static func describe(_ result: AttemptResult, lastError: String?) -> String {
        if let failure = result.failure { return failure.description }
        if result.timedOut { return "timed out" }
        switch result.exit {
        case .exited(let code)?:
            guard code != 0 else { return "completed" }
            let cause = lastError.map { $0.count > 300 ? ": " + $0.prefix(300) + "…" : ": " + $0 } ?? ""
            return "exited with code \(code)" + cause
        case .signaled(let signal)?: return "killed by signal \(signal)\(result.interrupted ? " (interrupted)" : "")"
        case nil: return "did not run"
        }
    }
}
