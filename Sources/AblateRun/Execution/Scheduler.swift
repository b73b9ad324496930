import AblateCore
import AblateStore
import Foundation

/// Runs a DAG of tasks: ready tasks start in critical-path order while resources allow,
/// failures are retried with backoff (a requeued attempt, such as a preempted job, runs again
/// without using up a retry), and an interruption stops every running attempt.
public final class Scheduler: Sendable {
    let tasks: [String: ScheduledTask]
    let order: [String]
    let launcher: any ProcessLauncher
    let options: SchedulerOptions
    let registry: ProcessRegistry
    let limits: ResourcePool.Limits
    let delegate: any SchedulerDelegate

    public init(
        tasks: [ScheduledTask], limits: ResourcePool.Limits, launcher: any ProcessLauncher, options: SchedulerOptions,
        registry: ProcessRegistry, delegate: any SchedulerDelegate
    ) {
        self.tasks = Dictionary(uniqueKeysWithValues: tasks.map { ($0.id, $0) })
        // Attempts being adopted already run: they take their slots and devices first.
        let order = Self.criticalPathOrder(tasks)
        let adopted = Set(tasks.filter { $0.adopting != nil }.map(\.id))
        self.order = order.filter(adopted.contains) + order.filter { !adopted.contains($0) }
        self.limits = limits
        self.launcher = launcher
        self.options = options
        self.registry = registry
        self.delegate = delegate
    }

    /// What a child task of the scheduler reports back. An attempt's process ending frees its
    /// slot and resources at once; a successful one is then recorded by the delegate
    /// (`finished`: reading its metrics, caching its outputs) in a child task of its own, beside
    /// the attempts that start meanwhile, and only then counts as completed for its dependants.
    /// While the slots are taken, the next ready tasks' directories are made ready (`stage`),
    /// so that a slot that frees starts its next attempt with less to do.
    private enum Event: Sendable {
        case ended(task: String, attempt: Int, result: AttemptResult, allocation: ResourcePool.Allocation)
        /// A successful attempt was recorded; `refusal` is what the delegate said.
        case recorded(task: String, refusal: String?)
        case retryDue(task: String)
        /// A task's directory was made ready ahead of its first attempt, or could not be.
        case staged(task: String, ready: Bool)
    }

    /// Runs until every task has an outcome or nothing more can start.
    public func run() async -> [String: ScheduledOutcome] {
        var state = ReadyQueue(order: order, tasks: tasks)
        var outcomes: [String: ScheduledOutcome] = [:]
        var attempts: [String: Int] = [:]
        var requeues: [String: Int] = [:]
        var pool = ResourcePool(limits: limits)
        // Successful attempts being recorded: starts wait while more of them pile up than there
        // are job slots.
        var recording = 0
        // Tasks whose directories are being made ready, and those made ready, for their first
        // attempt: a task starts once its staging is over.
        var staging: Set<String> = []
        var staged: Set<String> = []
        var failed = false

        await withTaskGroup(of: Event.self) { group in
            while true {
                let stopping = registry.isInterrupted || (failed && !options.keepGoing)
                if !stopping {
                    for id in state.readyInOrder() {
                        guard pool.hasFreeSlot, recording <= limits.jobs else { break }
                        guard !staging.contains(id) else { continue }
                        let devices = attempts[id] == nil ? tasks[id]?.adoptedDevices : nil
                        guard let task = tasks[id], let allocation = pool.acquire(task.resources, devices: devices) else { continue }
                        state.started(id)
                        let attempt = (attempts[id] ?? 0) + 1
                        attempts[id] = attempt
                        let wasStaged = staged.remove(id) != nil
                        group.addTask { await self.attempt(task, number: attempt, allocation: allocation, staged: wasStaged) }
                    }
                    // The tasks next in line, as many as there are slots, are staged meanwhile.
                    for id in state.readyInOrder().prefix(limits.jobs)
                    where attempts[id] == nil && tasks[id]?.adopting == nil && !staging.contains(id) && !staged.contains(id) {
                        staging.insert(id)
                        group.addTask { .staged(task: id, ready: self.delegate.stage(task: id)) }
                    }
                }
                guard let event = await group.next() else { break }
                switch event {
                case .staged(let id, let ready):
                    staging.remove(id)
                    if ready { staged.insert(id) }
                case .retryDue(let id):
                    state.makeReady(id)
                case .recorded(let id, let refusal):
                    recording -= 1
                    // The delegate may have refused the results (say, their outputs cannot be cached).
                    if refusal != nil {
                        outcomes[id] = .failed
                        failed = true
                        skipDependants(of: id, state: &state, outcomes: &outcomes)
                    } else {
                        outcomes[id] = .completed
                        state.completed(id)
                    }
                case .ended(let id, let attempt, let result, let allocation):
                    pool.release(allocation)
                    let interrupted = result.interrupted || registry.isInterrupted
                    if result.succeeded {
                        recording += 1
                        group.addTask {
                            .recorded(task: id, refusal: self.delegate.finished(task: id, attempt: attempt, result: result, willRetry: false))
                        }
                        continue
                    }
                    if result.requeue { requeues[id, default: 0] += 1 }
                    let failures = attempt - (requeues[id] ?? 0)
                    let retry = !interrupted && (result.requeue || (tasks[id]?.retries ?? 0) >= failures)
                    _ = delegate.finished(task: id, attempt: attempt, result: result, willRetry: retry)
                    if interrupted {
                        outcomes[id] = .interrupted
                    } else if retry {
                        let delay = result.requeue ? 0 : min(options.retryDelay * pow(2, Double(failures - 1)), 60)
                        group.addTask {
                            try? await Task.sleep(for: .clampedSeconds(delay))
                            return .retryDue(task: id)
                        }
                    } else {
                        outcomes[id] = .failed
                        failed = true
                        skipDependants(of: id, state: &state, outcomes: &outcomes)
                    }
                }
            }
        }
        for id in order where outcomes[id] == nil { outcomes[id] = .notStarted }
        return outcomes
    }

    /// Marks every task downstream of a failed one as skipped.
    private func skipDependants(of failed: String, state: inout ReadyQueue, outcomes: inout [String: ScheduledOutcome]) {
        var frontier = [failed]
        while let current = frontier.popLast() {
            for id in state.dependants(of: current) where outcomes[id] == nil {
                state.remove(id)
                outcomes[id] = .skipped
                delegate.skipped(task: id, because: failed)
                frontier.append(id)
            }
        }
    }

    /// One attempt: prepare and launch it (or follow the one an earlier ablate started), report.
    private func attempt(_ task: ScheduledTask, number: Int, allocation: ResourcePool.Allocation, staged: Bool) async -> Event {
        let registry = self.registry
        let delegate = self.delegate
        var result = AttemptResult(exit: nil, timedOut: false, interrupted: false)
        do {
            let outcome: LaunchOutcome
            if number == 1, let handle = task.adopting {
                outcome = try await follow(task, handle: handle)
            } else {
                await delegate.waitForRoom(task: task.id)
                let request: LaunchRequest
                do {
                    request = try delegate.prepare(task: task.id, attempt: number, allocation: allocation, staged: staged)
                } catch {
                    result.failure = .notPrepared("\(error)")
                    return .ended(task: task.id, attempt: number, result: result, allocation: allocation)
                }
                outcome = try await launcher.launch(request) { handle in
                    registry.register(task.id, handle: handle)
                    delegate.started(task: task.id, attempt: number, handle: handle)
                    // An interruption that came while the attempt was starting still reaches it.
                    if registry.isInterrupted { self.launcher.stop([handle], force: false) }
                }
            }
            result.exit = outcome.exit
            result.timedOut = outcome.timedOut
            result.failure = outcome.failure.map(AttemptFailure.executor)
            // A trainer that saved a checkpoint on a signal (Slurm's warning before the time limit)
            // and stopped runs again from it.
            let checkpointed = task.continuesFromCheckpoints && !outcome.timedOut && outcome.exit == .exited(CheckpointPolicy.checkpointedExitStatus)
            result.requeue = outcome.requeue || checkpointed
        } catch {
            result.failure = .notStarted("\(error)")
        }
        registry.unregister(task.id)
        result.interrupted = registry.isInterrupted && !(result.exit?.succeeded ?? false)
        return .ended(task: task.id, attempt: number, result: result, allocation: allocation)
    }

    /// Follows an attempt an earlier ablate started (the session adopts only what its
    /// launcher can follow).
    private func follow(_ task: ScheduledTask, handle: LaunchHandle) async throws -> LaunchOutcome {
        registry.register(task.id, handle: handle)
        delegate.following(task: task.id, handle: handle)
        if registry.isInterrupted { launcher.stop([handle], force: false) }
        return try await launcher.follow(handle, resources: task.resources)
    }

    /// Tasks ordered so that those with the longest chain of dependants come first.
    static func criticalPathOrder(_ tasks: [ScheduledTask]) -> [String] {
        var dependants: [String: [String]] = [:]
        for task in tasks {
            for dependency in task.dependencies { dependants[dependency, default: []].append(task.id) }
        }
        var depth: [String: Int] = [:]
        func chain(_ id: String) -> Int {
            if let known = depth[id] { return known }
            let value = 1 + ((dependants[id] ?? []).map(chain).max() ?? 0)
            depth[id] = value
            return value
        }
        let position = Dictionary(uniqueKeysWithValues: tasks.enumerated().map { ($1.id, $0) })
        return tasks.map(\.id).sorted { lhs, rhs in
            let (l, r) = (chain(lhs), chain(rhs))
            return l != r ? l > r : (position[lhs] ?? 0) < (position[rhs] ?? 0)
        }
    }
}

/// Which tasks can start: those whose dependencies all completed, kept in critical-path order,
/// so that each scheduling step looks only at ready tasks.
struct ReadyQueue {
    private let position: [String: Int]
    private let order: [String]
    private var unmet: [String: Int] = [:]
    private var dependantsOf: [String: [String]] = [:]
    /// Positions in `order` of the ready tasks, ascending.
    private var ready: [Int] = []

    init(order: [String], tasks: [String: ScheduledTask]) {
        self.order = order
        position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        for id in order {
            let dependencies = tasks[id]?.dependencies ?? []
            unmet[id] = dependencies.count
            for dependency in dependencies { dependantsOf[dependency, default: []].append(id) }
            if dependencies.isEmpty, let index = position[id] { ready.append(index) }
        }
        ready.sort()
    }

    /// The ready tasks, first in line first (a view of them as they are now).
    func readyInOrder() -> LazyMapSequence<[Int], String> { ready.lazy.map { [order] in order[$0] } }

    func dependants(of id: String) -> [String] { dependantsOf[id] ?? [] }

    mutating func started(_ id: String) { remove(id) }

    mutating func remove(_ id: String) {
        guard let index = position[id], let found = ready.firstIndex(of: index) else { return }
        ready.remove(at: found)
    }

    mutating func makeReady(_ id: String) {
        guard let index = position[id] else { return }
        let insertion = ready.firstIndex { $0 > index } ?? ready.count
        if insertion == 0 || ready[insertion - 1] != index { ready.insert(index, at: insertion) }
    }

    mutating func completed(_ id: String) {
        for dependant in dependants(of: id) {
            unmet[dependant, default: 1] -= 1
            if unmet[dependant] == 0 { makeReady(dependant) }
        }
    }
}
