import AblateCore
import AblateStore
import Foundation

/// Decides what a run does with each task, and says why: the answer behind `ablate run`,
/// `ablate resume`, `ablate resume --dry-run` and `ablate plan --explain`.
struct RunPlanner {
    let plan: Plan
    let cache: TaskCache
    let layout: RunLayout
    /// The task records an earlier session of this run left, by task id.
    let previous: [String: TaskRecord]
    /// Whether this session's executor can follow an attempt an earlier one started.
    let canFollow: @Sendable (LaunchHandle) -> Bool

    func decisions() -> [TaskDecision] {
        var decisions: [TaskDecision] = []
        var runs: Set<String> = []
        // Temporary outputs deleted after their readers completed: the task counts as done
        // for its readers, and runs again only for one of them that runs (decided below).
        let released = Dictionary(uniqueKeysWithValues: plan.tasks.compactMap { task in releasedTemporary(task).map { (task.id, $0) } })
        for task in plan.tasks {
            if released[task.id] != nil {
                decisions.append(TaskDecision(task: task.id, action: .keep, reason: ""))
                continue
            }
            let decision = decide(task, upstreamRuns: task.dependencies.filter(runs.contains))
            if decision.action == .run { runs.insert(task.id) }
            decisions.append(decision)
        }
        guard !released.isEmpty else { return decisions }
        let tasks = PlannedTasksByID(plan.tasks)
        let readers = plan.dependants()
        // Readers come after what they read: deciding from the end settles a chain of temporaries.
        for position in plan.tasks.indices.reversed() {
            let task = plan.tasks[position]
            guard let release = released[task.id] else { continue }
            // The first that runs, in the plan's order (the order `dependants` lists them in).
            let reader = readers[task.id]?.first { tasks.position(of: $0).map { decisions[$0].executes } == true }
            if let reader {
                decisions[position] = TaskDecision(
                    task: task.id, action: .run, reason: "its temporary outputs were deleted once its readers completed; \(reader) runs and reads them")
            } else {
                let done = previous[task.id].map { $0.state.isDone && $0.fingerprint == task.fingerprint } ?? false
                decisions[position] = TaskDecision(
                    task: task.id, action: done ? .keep : .cached,
                    reason:
                        "completed in \(release.origin.run == layout.runID ? "this run" : "run \(release.origin.study)/\(release.origin.run)"); its temporary outputs were deleted once its readers completed"
                )
            }
        }
        return decisions
    }

    /// The release of a temporary task's outputs, when they were deleted after its readers
    /// completed and the task is otherwise unchanged.
    private func releasedTemporary(_ task: PlannedTask) -> TaskCache.Release? {
        guard task.temporaryOutputs, !outputsExist(task) else { return nil }
        if let old = previous[task.id], old.fingerprint != task.fingerprint || !(old.state.isDone || old.state == .pending) { return nil }
        return cache.release(of: task.fingerprint)
    }

    private func decide(_ task: PlannedTask, upstreamRuns: [String]) -> TaskDecision {
        let old = previous[task.id]
        if let first = upstreamRuns.first {
            return TaskDecision(task: task.id, action: .run, reason: "it reads \(first), which runs again")
        }
        if let old, old.state == .running, old.fingerprint == task.fingerprint, let handle = old.lastAttempt?.handle, canFollow(handle) {
            return TaskDecision(task: task.id, action: .adopt, reason: "\(handle) was started by an earlier session: following it")
        }
        if let old, old.state.isDone, old.fingerprint == task.fingerprint, outputsExist(task) {
            return TaskDecision(task: task.id, action: .keep, reason: "\(old.state.rawValue), unchanged")
        }
        if let entry = cache.entry(for: task.fingerprint), outputsExist(task) {
            let origin = entry.origin.run == layout.runID ? "this run" : "run \(entry.origin.study)/\(entry.origin.run)"
            return TaskDecision(task: task.id, action: .cached, reason: "cached from \(origin) (task \(entry.origin.task))")
        }
        return TaskDecision(task: task.id, action: .run, reason: runReason(task, old: old) + checkpointNote(task))
    }

    /// Where a training task will continue from, or that its checkpoints of an older version go.
    private func checkpointNote(_ task: PlannedTask) -> String {
        guard task.kind.descriptor.keepsProgressAcrossAttempts else { return "" }
        let checkpoints = TaskCheckpoints(layout: layout, task: task.id)
        if let position = checkpoints.latest(for: task.fingerprint) { return "; continues from \(position.description)" }
        return checkpoints.heldForAnotherVersion(than: task.fingerprint) ? "; its checkpoints, of the earlier version, are discarded" : ""
    }

    private func runReason(_ task: PlannedTask, old: TaskRecord?) -> String {
        guard let old else { return previous.isEmpty ? "not in the cache" : "new task" }
        if old.fingerprint != task.fingerprint, let moved = movedRevision(task, old: old) { return moved }
        if old.fingerprint != task.fingerprint {
            let oldKeys = old.fingerprint.keys
            let newKeys = task.fingerprint.keys
            let changes = task.fingerprint.changedKeys(since: old.fingerprint).map { key in
                "\(key.rawValue) (\(oldKeys[key]?.prefix(8) ?? "?") -> \(newKeys[key]?.prefix(8) ?? "?"))"
            }
            return "changed: " + changes.joined(separator: ", ")
        }
        switch old.state {
        case .completed, .cached:
            if let missing = missingRequiredOutput(task) { return "\(missing) is missing" }
            return "its outputs are missing from the cache"
        case .failed: return "failed: \(old.reason ?? "see its log")"
        case .interrupted: return "interrupted"
        case .running: return "was running when ablate stopped"
        case .skipped: return "was skipped after an upstream failure"
        case .pending: return "never started"
        }
    }

    /// A fetch task whose revision now resolves to another commit: "model llama2-7b: revision
    /// main moved 1a2b3c4d5e6f → 6f5e4d3c2b1a".
    private func movedRevision(_ task: PlannedTask, old: TaskRecord) -> String? {
        guard task.hubAccess == .online, case .string(let revision)? = task.settings["revision"],
            case .string(let was)? = old.settings["commit"], case .string(let now)? = task.settings["commit"], was != now,
            old.settings["repository"] == task.settings["repository"], old.settings["revision"] == task.settings["revision"]
        else { return nil }
        return "\(FetchTask.subject(ofTask: task.id)): revision \(revision) moved \(was.prefix(12)) → \(now.prefix(12))"
    }

    private func outputsExist(_ task: PlannedTask) -> Bool {
        FileManager.default.fileExists(atPath: cache.outputs(task.fingerprint)) && missingRequiredOutput(task) == nil
    }

    /// The first of the task's required outputs that is gone from its cached outputs.
    private func missingRequiredOutput(_ task: PlannedTask) -> String? {
        let outputs = cache.outputs(task.fingerprint)
        return task.requiredOutputs?.first { !FileManager.default.fileExists(atPath: outputs + "/" + $0) }
    }
}
