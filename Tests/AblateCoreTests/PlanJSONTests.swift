import AblateCore
import Foundation
import Testing

/// `PlanJSON` writes the plan's tasks and variants itself, without `JSONEncoder`; each of their
/// lines must be byte for byte what `JSONEncoder` writes with sorted keys, so that a field added
/// to a task and not to its writer fails here.
@Suite struct PlanJSONTests {
    /// The items of one of the document's lists, one per line, without their commas.
    private static func items(_ list: String, of document: Data) -> [String] {
        let lines = String(decoding: document, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "\"\(list)\":[") else { return [] }
        return lines[(start + 1)...].prefix { !$0.hasPrefix("]") }.map { String($0.hasSuffix(",") ? $0.dropLast() : $0) }
    }

    private static func encoded(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func expectWrittenAsJSONEncoderWrites(_ plan: Plan, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let document = try PlanJSON.encode(plan)
        let tasks = items("tasks", of: document)
        let variants = items("variants", of: document)
        #expect(tasks.count == plan.tasks.count, sourceLocation: sourceLocation)
        #expect(variants.count == plan.variants.count, sourceLocation: sourceLocation)
        for (written, task) in zip(tasks, plan.tasks) {
            #expect(written == (try encoded(task)), "task \(task.id)", sourceLocation: sourceLocation)
        }
        for (written, variant) in zip(variants, plan.variants) {
            #expect(written == (try encoded(variant)), "variant \(variant.name)", sourceLocation: sourceLocation)
        }
        // Whole doubles read back as integers, so the document is checked by what it names.
        let decoded = try JSONDecoder().decode(Plan.self, from: document)
        #expect(decoded.tasks.map(\.id) == plan.tasks.map(\.id), sourceLocation: sourceLocation)
        #expect(decoded.tasks.map(\.command) == plan.tasks.map(\.command), sourceLocation: sourceLocation)
        #expect(decoded.variants.map(\.tasks) == plan.variants.map(\.tasks), sourceLocation: sourceLocation)
    }

    @Test(arguments: Paths.exampleSpecs) func theExampleStudies(path: String) throws {
        let outcome = StudyCompiler().compile(path: path)
        let plan = try #require(outcome.plan, "\(outcome.diagnostics.sorted.map(\.description))")
        try Self.expectWrittenAsJSONEncoderWrites(plan)
    }

    /// Settings of every type (whole and tiny doubles, lists, maps), strings that need escapes,
    /// a command with environment variables, checkpoints, temporary outputs and hub inputs,
    /// which bring fetch tasks placed on the submitting machine with online access.
    @Test func everyKindOfSettingAndTask() throws {
        let spec = """
            ablate: 1
            name: kinds
            models: {base: {path: model}, hubbed: {hub: org/model}}
            datasets:
              pairs: {path: pairs.jsonl, format: preference}
              prompts: {hub: org/prompts, format: prompt-completion, sample: 100}
            sweep:
              grid:
                lr: [1.0e-7, 100.0, 0.5]
                flag: ["a\\u0001b", "plain"]
            stages:
              sft: {kind: sft, model: base, data: prompts, learning_rate: "${sweep.lr}", lora: {r: 8, alpha: 16}, checkpoint: {every: 30m, keep: 3}}
              rm: {kind: reward, model: hubbed, data: pairs, temporary: true}
              dpo: {kind: dpo, model: "${stages.sft.model}", data: pairs, beta: 0.1, checkpoint: {every: 250}}
              tool:
                kind: command
                command: [python3, -c, "print('\\"quoted\\", tab\\there, slash/ and é')", "${sweep.flag}", "${stages.dpo.model}", "${stages.rm.model}"]
                env: {MODE: "${sweep.flag}", LEVEL: 3, FLAG: true}
                outputs: [report]

            """
        let files = ["model/config.json": "{}", "pairs.jsonl": "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n"]
        let plan = try Compile.plan(spec, files: files)
        #expect(plan.tasks.contains { $0.checkpoint?.every == .seconds(1800) })
        #expect(plan.tasks.contains { $0.checkpoint?.every == .steps(250) })
        #expect(plan.tasks.contains { $0.temporaryOutputs })
        #expect(plan.tasks.contains { $0.hubAccess == .online && $0.placement == .submittingMachine })
        #expect(plan.tasks.contains { $0.requiredOutputs != nil })
        #expect(plan.tasks.contains { !$0.command.environment.isEmpty })
        #expect(plan.tasks.contains { $0.settings["learning_rate"] == .double(100) })
        try Self.expectWrittenAsJSONEncoderWrites(plan)
    }

    /// A plan of one command task, for the values no spec compiles to.
    private static func oneTaskPlan() throws -> Plan {
        try Compile.plan(
            """
            ablate: 1
            name: one
            stages:
              one: {kind: command, command: [echo, "${outputs.out}"], outputs: [out]}

            """)
    }

    /// What no spec compiles to today but a plan may hold: a hub snapshot part, a negative zero.
    @Test func partsThatOnlyAPlanFileHolds() throws {
        let plan = try Self.oneTaskPlan()
        var task = try #require(plan.tasks.first)
        task.command.arguments.append(CommandArgument([.literal("--model="), .hubSnapshot(HubRepository(kind: .model, id: "org/m", revision: nil))]))
        task.settings["zero"] = .double(-0.0)
        task.settings["nested"] = .map(["b": .list([.int(-3), .bool(false)]), "a": .string("line\nbreak\u{1f}\r\u{8}\u{c}\\")])
        var edited = plan
        edited.tasks = [task]
        try Self.expectWrittenAsJSONEncoderWrites(edited)
    }

    /// JSON has no infinity: like `JSONEncoder`, the writer refuses it instead of writing text
    /// that no reader accepts.
    @Test func infinityIsRefused() throws {
        var plan = try Self.oneTaskPlan()
        plan.tasks[0].settings["limit"] = .double(.infinity)
        #expect(throws: EncodingError.self) { try PlanJSON.encode(plan) }
    }
}
