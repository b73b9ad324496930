import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether there is room on the disk for a task to start: the space its outputs will take,
/// estimated from what the same stage wrote before (its other tasks in this run), or, for a
/// kind that writes a whole model, the size of the model it reads; against the free space where
/// its outputs go. One per session: each completed output is measured once (it no longer
/// changes), and each stage keeps the largest so far, so that a task's start looks up one
/// number instead of walking (or even listing) its stage's outputs again.
final class SpaceCheck: @unchecked Sendable {
    private let cache: TaskCache
    private let tasks: PlannedTasksByID
    /// The positions of each stage's tasks among `tasks.tasks`.
    private let positionsByStage: [String: [Int]]
    private let lock = NSLock()
    private var measured: [String: Int64] = [:]
    /// The largest outputs of each stage's done tasks, once the stage's first task asked: the
    /// tasks done then are measured in one pass, each one done later as it completes.
    private var largest: [String: (task: String, bytes: Int64)?] = [:]

    init(tasks: PlannedTasksByID, cache: TaskCache) {
        self.cache = cache
        self.tasks = tasks
        positionsByStage = Dictionary(grouping: tasks.tasks.indices) { tasks.tasks[$0].stage }
    }

    /// The bytes a task needs, and what the estimate comes from; nil when nothing tells.
    struct Estimate {
        var bytes: Int64
        var basis: String
    }

    /// A margin over the estimate, for logs and what the estimate misses.
    static let margin = 1.1

    /// Bytes free to an unprivileged writer on the filesystem holding `path`.
    static func freeBytes(at path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }

    /// The estimate for `task`, given which of the plan's tasks are done.
    func estimate(for task: PlannedTask, isDone: (String) -> Bool) -> Estimate? {
        let known = lock.withLock { largest[task.stage] }
        let stageLargest: (task: String, bytes: Int64)?
        if let known {
            stageLargest = known
        } else {
            var found: (task: String, bytes: Int64)?
            for position in positionsByStage[task.stage] ?? [] {
                let sibling = tasks.tasks[position]
                guard sibling.id != task.id, isDone(sibling.id) else { continue }
                let bytes = size(of: sibling)
                if bytes > (found?.bytes ?? 0) { found = (sibling.id, bytes) }
            }
            stageLargest = found
            lock.withLock { if largest[task.stage] == nil { largest[task.stage] = .some(stageLargest) } }
        }
        if let (sibling, bytes) = stageLargest { return Estimate(bytes: bytes, basis: "the size of \(sibling)'s outputs") }
        guard Self.writesWholeModel(task.kind), let model = task.inputs.first(where: { $0.role == InputRole.model.rawValue }),
            case .task(let producer, _) = model.source, let source = tasks[producer]
        else { return nil }
        let bytes = size(of: source)
        return bytes > 0 ? Estimate(bytes: bytes, basis: "the size of the model it reads, \(producer)'s outputs") : nil
    }

    /// A task's outputs are final, and measure `bytes`: they count towards its stage's largest,
    /// where that is kept.
    func completed(_ id: String, bytes: Int64) {
        guard let task = tasks[id] else { return }
        lock.withLock {
            measured[task.fingerprint.value] = bytes
            guard largest[task.stage] != nil else { return }
            if bytes > 0, bytes > (largest[task.stage]??.bytes ?? 0) { largest[task.stage] = .some((id, bytes)) }
        }
    }

    /// The bytes of a done task's cached outputs, measured the first time they are asked for.
    private func size(of task: PlannedTask) -> Int64 {
        if let known = lock.withLock({ measured[task.fingerprint.value] }) { return known }
        let bytes = DiskUsage.bytes(at: cache.outputs(task.fingerprint))
        lock.withLock { measured[task.fingerprint.value] = bytes }
        return bytes
    }

    /// Kinds whose outputs are a full copy of the model they read.
    private static func writesWholeModel(_ kind: StageKind) -> Bool { kind == .merge }
}
