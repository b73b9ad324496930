/// The plan's DAG as Graphviz DOT or a Mermaid flowchart.
public struct PlanGraphRenderer {
    /// Which graph language to write.
    public enum Language: Sendable {
        case dot
        case mermaid
    }

    public var language: Language

    public init(_ language: Language) {
        self.language = language
    }

    public func render(_ plan: Plan) -> String {
        switch language {
        case .dot: return dot(plan)
        case .mermaid: return mermaid(plan)
        }
    }

    private func dot(_ plan: Plan) -> String {
        var lines = ["digraph \(dotString(plan.study)) {", "  rankdir=LR;", "  node [shape=box, fontname=\"Helvetica\"];"]
        for task in plan.tasks {
            let label = "\(task.id)\\n\(task.kind.rawValue) · \(task.resources.summary)"
            lines.append("  \(dotString(task.id)) [label=\(dotString(label, keepEscapes: true))];")
        }
        for task in plan.tasks {
            for dependency in task.dependencies {
                lines.append("  \(dotString(dependency)) -> \(dotString(task.id));")
            }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private func dotString(_ text: String, keepEscapes: Bool = false) -> String {
        var escaped = text.replacingOccurrences(of: "\"", with: "\\\"")
        if !keepEscapes { escaped = escaped.replacingOccurrences(of: "\\n", with: "\\\\n") }
        return "\"" + escaped + "\""
    }

    private func mermaid(_ plan: Plan) -> String {
        // Mermaid ids must be plain words, so tasks are numbered and labelled with their names.
        var ids: [String: String] = [:]
        for (index, task) in plan.tasks.enumerated() { ids[task.id] = "t\(index)" }
        var lines = ["flowchart LR"]
        for task in plan.tasks {
            let label = "\(task.id)<br/>\(task.kind.rawValue)"
                .replacingOccurrences(of: "\"", with: "#quot;")
            lines.append("  \(ids[task.id] ?? task.id)[\"\(label)\"]")
        }
        for task in plan.tasks {
            for dependency in task.dependencies {
                lines.append("  \(ids[dependency] ?? dependency) --> \(ids[task.id] ?? task.id)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
