/// A plan's tasks, found by id. It keeps the plan's own array and each task's position in it: a
/// dictionary of the tasks themselves holds a copy of every task (some 300 bytes each), and the
/// copies a run kept (a table of its own, two of its disk-space check's) were about a tenth of a
/// 10,000-task run's peak memory.
public struct PlannedTasksByID: Sendable {
    /// The plan's tasks, in its order.
    public let tasks: [PlannedTask]
    private let positions: [String: Int]

    public init(_ tasks: [PlannedTask]) {
        self.tasks = tasks
        positions = Dictionary(uniqueKeysWithValues: tasks.indices.map { (tasks[$0].id, $0) })
    }

    public subscript(id: String) -> PlannedTask? {
        positions[id].map { tasks[$0] }
    }

    /// The task's position in `tasks`: for a caller that reads a few fields of many tasks in
    /// place, where the subscript copies the task.
    public func position(of id: String) -> Int? {
        positions[id]
    }
}
