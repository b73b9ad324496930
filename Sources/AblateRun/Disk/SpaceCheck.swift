import AblateCore
import AblateStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Whether there is room on the disk for a task to start: the space its outputs will take,
/// estimated from what the same stage wrote before (its other tasks in this run), or, for a
/// kind that writes a whole model, the size of the model it reads; against the free space where
/// its outputs go.
struct SpaceCheck {
    let layout: RunLayout
    let cache: TaskCache

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

    /// The estimate for `task`, given the plan's other tasks and which of them are done.
    func estimate(for task: PlannedTask, plan: Plan, isDone: (String) -> Bool) -> Estimate? {
        let siblings = plan.tasks.filter { $0.stage == task.stage && $0.id != task.id && isDone($0.id) }
        let largest = siblings.compactMap { sibling -> (String, Int64)? in
            let bytes = DiskUsage.bytes(at: cache.outputs(sibling.fingerprint))
            return bytes > 0 ? (sibling.id, bytes) : nil
        }.max { $0.1 < $1.1 }
        if let (sibling, bytes) = largest { return Estimate(bytes: bytes, basis: "the size of \(sibling)'s outputs") }
        guard Self.writesWholeModel(task.kind), let model = task.inputs.first(where: { $0.role == InputRole.model.rawValue }),
            case .task(let producer, _) = model.source, let source = plan.tasks.first(where: { $0.id == producer })
        else { return nil }
        let bytes = DiskUsage.bytes(at: cache.outputs(source.fingerprint))
        return bytes > 0 ? Estimate(bytes: bytes, basis: "the size of the model it reads, \(producer)'s outputs") : nil
    }

    /// Kinds whose outputs are a full copy of the model they read.
    private static func writesWholeModel(_ kind: StageKind) -> Bool { kind == .merge }
}
