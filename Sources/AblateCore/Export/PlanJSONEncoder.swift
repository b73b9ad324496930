import Foundation

/// The plan as JSON: `ablate plan --format json` and each run's `plan.json`.
///
/// Large sweeps have tens of thousands of tasks, and a JSON encoder holds the whole document
/// as a tree before it writes a byte; so the plan is written one variant and one task at a
/// time, each on a line of its own (which also keeps diffs of plans readable). Keys are
/// sorted, so the same plan always gives the same bytes.
public enum PlanJSON {
    /// `memory`: the GPU memory estimates of the tasks that have one, by task id (left out when none).
    public static func encode(_ plan: Plan, memory: [String: MemoryEstimate] = [:]) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        func append(_ text: String) { data.append(contentsOf: text.utf8) }
        func field(_ name: String, _ value: some Encodable, last: Bool = false) throws {
            append("\"\(name)\":")
            data.append(try encoder.encode(value))
            append(last ? "\n" : ",\n")
        }
        append("{\n")
        try field("axes", plan.axes)
        try field("counts", plan.counts)
        try field("formatVersion", plan.formatVersion)
        if !memory.isEmpty { try field("memory", memory) }
        try field("specFile", plan.specFile)
        try field("study", plan.study)
        try list("tasks", plan.tasks, into: &data, encoder: encoder)
        append(",\n")
        try list("variants", plan.variants, into: &data, encoder: encoder)
        append("\n}\n")
        return data
    }

    private static func list(_ name: String, _ items: [some Encodable], into data: inout Data, encoder: JSONEncoder) throws {
        data.append(contentsOf: "\"\(name)\":[".utf8)
        for (index, item) in items.enumerated() {
            data.append(contentsOf: (index == 0 ? "\n" : ",\n").utf8)
            data.append(try encoder.encode(item))
        }
        data.append(contentsOf: (items.isEmpty ? "]" : "\n]").utf8)
    }
}
