import Foundation

extension RunLayout {
    /// The ids of the run's tasks, in plan order, read from `plan.json` (none before it exists).
    public func plannedTaskIDs() throws -> [String] {
        guard let data = FileManager.default.contents(atPath: planFile) else { return [] }
        do {
            return try JSONDecoder().decode(PlanTaskList.self, from: data).tasks.map(\.id)
        } catch {
            throw RunStoreError.damagedFile(
                path: planFile, cause: RunStoreError.cause(of: error), fix: "resume the run with its spec ('ablate resume RUN --spec SPEC') to write it again")
        }
    }

    /// The task records the run directory holds, in plan order.
    public func taskRecords() throws -> [TaskRecord] {
        try plannedTaskIDs().compactMap { try readTaskRecord($0) }
    }

    /// The part of `plan.json` that lists the run's tasks.
    private struct PlanTaskList: Decodable {
        struct Entry: Decodable { var id: String }
        var tasks: [Entry]
    }
}
