/// A compiled study: the variants of the sweep and the deduplicated DAG of tasks they need.
public struct Plan: Codable, Sendable {
    /// Version of this JSON layout (`ablate plan --format json`, `plan.json` in a run).
    public static let formatVersion = 1

    public var formatVersion: Int
    public var study: String
    public var specFile: String
    public var axes: [String]
    public var variants: [PlannedVariant]
    /// Every task once, each after all of its dependencies.
    public var tasks: [PlannedTask]

    public var counts: PlanCounts {
        PlanCounts(
            variants: variants.count,
            tasks: tasks.count,
            stageInstances: variants.reduce(0) { $0 + $1.tasks.count },
            sharedTasks: tasks.filter { $0.variants.count > 1 }.count)
    }

    public func task(id: String) -> PlannedTask? {
        tasks.first { $0.id == id }
    }

    /// The tasks that depend on each task, derived from the dependency lists.
    public func dependants() -> [String: [String]] {
        var result: [String: [String]] = [:]
        for task in tasks {
            for dependency in task.dependencies { result[dependency, default: []].append(task.id) }
        }
        return result
    }
}

/// One variant and the task that plays each of its stages.
public struct PlannedVariant: Codable, Hashable, Sendable {
    /// A stage of the variant and the task that computes it.
    public struct StageTask: Codable, Hashable, Sendable {
        public var stage: String
        public var task: String
    }

    public var name: String
    public var values: [AxisValue]
    public var tasks: [StageTask]
}

/// How much the sweep shares: `stageInstances` stage runs are needed, `tasks` actually run.
public struct PlanCounts: Codable, Hashable, Sendable {
    public var variants: Int
    public var tasks: Int
    /// Variant × stage pairs: what would run without sharing.
    public var stageInstances: Int
    /// Tasks used by more than one variant.
    public var sharedTasks: Int
}
