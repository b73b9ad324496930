import AblateStore
import Foundation

extension RunLayout {
    /// The ids of the run's tasks, in plan order, read from `plan.json`.
    public func plannedTaskIDs() -> [String] {
        guard let data = FileManager.default.contents(atPath: planFile),
            let plan = try? JSONDecoder().decode(PlanTaskList.self, from: data)
        else { return [] }
        return plan.tasks.map(\.id)
    }

    /// The task records the run directory holds, in plan order.
    public func taskRecords() -> [TaskRecord] {
        plannedTaskIDs().compactMap { try? AtomicFile.readJSON(TaskRecord.self, from: status($0)) }
    }

    /// The part of `plan.json` that lists the run's tasks.
    private struct PlanTaskList: Decodable {
        struct Entry: Decodable { var id: String }
        var tasks: [Entry]
    }
}
