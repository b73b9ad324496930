/// The plan as a person reads it in a terminal: a summary, then every task with its
/// dependencies, resources and exact command line.
public struct PlanTreeRenderer {
    /// The GPU memory estimates of the tasks that have one, by task id.
    public var memory: [String: MemoryEstimate]

    public init(memory: [String: MemoryEstimate] = [:]) {
        self.memory = memory
    }

    public func render(_ plan: Plan) -> String {
        let counts = plan.counts
        var lines: [String] = []
        lines.reserveCapacity(plan.tasks.count * 7 + 1)
        lines.append(
            "study \(plan.study): \(counts.variants) variant\(counts.variants == 1 ? "" : "s"), \(counts.tasks) task\(counts.tasks == 1 ? "" : "s") (\(counts.stageInstances) stage runs, \(counts.sharedTasks) shared task\(counts.sharedTasks == 1 ? "" : "s"))"
        )
        for task in plan.tasks {
            lines.append("")
            lines.append("\(task.id)  [\(task.kind.rawValue)]  \(task.fingerprint.short)")
            let dependencies = task.dependencies
            for (index, dependency) in dependencies.enumerated() {
                lines.append("  \(index == dependencies.count - 1 ? "└─" : "├─") needs \(dependency)")
            }
            lines.append("  resources: \(task.resources.summary)\(task.retries > 0 ? " retries=\(task.retries)" : "")")
            if let estimate = memory[task.id] { lines.append("  memory:    \(estimate.summary)") }
            lines.append("  variants:  \(task.variants.count)")
            if let checkpoint = task.checkpoint {
                lines.append("  checkpoints: \(checkpoint.summary); a retry or resume continues from the newest")
            } else if task.kind.descriptor.runner?.resumesPerItem == true {
                lines.append("  checkpoints: results per prompt; a retry or resume continues at the first prompt not done")
            } else if task.kind.descriptor.settings.contains("max_steps") {
                // A trainer that cannot continue (TRL 1.12's PPOTrainer).
                lines.append("  checkpoints: none; a retry or resume starts again from step 0")
            }
            if !task.command.environment.isEmpty {
                lines.append("  env:       " + task.command.environment.map { "\($0.name)=\($0.value.display.shellQuotedForDisplay)" }.joined(separator: " "))
            }
            lines.append("  command:   \(task.command.displayText)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
