import Foundation

/// The plan as JSON: `ablate plan --format json`, and later each run's `plan.json`.
public enum PlanJSON {
    public static func encode(_ plan: Plan) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(PlanDocument(plan: plan))
    }

    /// The plan with its counts spelled out, so readers of the JSON need not recount.
    private struct PlanDocument: Encodable {
        var plan: Plan

        enum CodingKeys: String, CodingKey {
            case formatVersion, study, specFile, axes, counts, variants, tasks
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(plan.formatVersion, forKey: .formatVersion)
            try container.encode(plan.study, forKey: .study)
            try container.encode(plan.specFile, forKey: .specFile)
            try container.encode(plan.axes, forKey: .axes)
            try container.encode(plan.counts, forKey: .counts)
            try container.encode(plan.variants, forKey: .variants)
            try container.encode(plan.tasks, forKey: .tasks)
        }
    }
}
