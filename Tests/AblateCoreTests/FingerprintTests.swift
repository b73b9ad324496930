import AblateCore
import Foundation
import Testing

/// Fingerprints are stable under formatting and sensitive to exactly what changes a result.
@Suite struct FingerprintTests {
    static let pipeline = """
        ablate: 1
        name: pipeline
        models:
          base: {hub: org/base}
        datasets:
          lima: {path: lima.jsonl, format: messages}
          shp: {hub: stanfordnlp/SHP, format: preference}
        defaults:
          lora: {r: 8, alpha: 16}
          learning_rate: 2e-4
          resources: {gpus: 1, time: 8h}
        stages:
          sft: {kind: sft, model: base, data: lima}
          dpo: {kind: dpo, model: "${stages.sft.model}", data: shp, learning_rate: 5e-7}
          eval: {kind: lm-eval, model: "${stages.dpo.model}", tasks: [piqa]}

        """
    static let data = ["lima.jsonl": "{\"messages\": []}\n"]

    private func fingerprints(_ yaml: String, files: [String: String] = data, hubCommits: HubCommits = [:]) throws -> [String: String] {
        byName(try Compile.plan(yaml, files: files, hubCommits: hubCommits))
    }

    /// Each task's fingerprint, by stage name for stage tasks and by id for the others.
    private func byName(_ plan: Plan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.tasks.map { (["environment", "fetch"].contains($0.stage) ? $0.id : $0.stage, $0.fingerprint.value) })
    }

    @Test func keyOrderFormattingAndCommentsDoNotMatter() throws {
        let reordered = """
            # the same study, written differently
            name: pipeline
            ablate: 1
            stages:
              sft:
                data: lima
                model: base
                kind: sft
              dpo:
                learning_rate: 0.0000005
                data: shp
                kind: dpo
                model: ${stages.sft.model}
              eval:
                tasks:
                  - piqa
                model: ${stages.dpo.model}
                kind: lm-eval
            defaults:
              resources: {time: 8h, gpus: 1}
              learning_rate: 0.0002
              lora:
                alpha: 16.0
                r: 8
            datasets:
              shp: {format: preference, hub: stanfordnlp/SHP}
              lima: {format: messages, path: ./lima.jsonl}
            models:
              base:
                hub: org/base
            """
        #expect(try fingerprints(Self.pipeline) == fingerprints(reordered))
    }

    @Test func changingDPOLearningRateChangesDPOAndItsDependantsOnly() throws {
        let before = try fingerprints(Self.pipeline)
        let after = try fingerprints(Self.pipeline.replacingOccurrences(of: "learning_rate: 5e-7", with: "learning_rate: 1e-6"))
        #expect(before["sft"] == after["sft"])
        #expect(before["dpo"] != after["dpo"])
        #expect(before["eval"] != after["eval"])
    }

    @Test func aMovedHubRevisionChangesItsFetchTaskAndTheTasksReadingItOnly() throws {
        let model = HubRepository(kind: .model, id: "org/base", revision: nil)
        let data = HubRepository(kind: .dataset, id: "stanfordnlp/SHP", revision: nil)
        let before = try fingerprints(Self.pipeline, hubCommits: [model: String(repeating: "a", count: 40), data: String(repeating: "b", count: 40)])
        let after = try fingerprints(Self.pipeline, hubCommits: [model: String(repeating: "a", count: 40), data: String(repeating: "c", count: 40)])
        #expect(Set(before.keys) == ["environment[runners]", "fetch[model:base]", "fetch[dataset:shp]", "fetch[lm-eval:piqa]", "sft", "dpo", "eval"])
        #expect(before["fetch[model:base]"] == after["fetch[model:base]"] && before["sft"] == after["sft"])
        #expect(before["fetch[lm-eval:piqa]"] == after["fetch[lm-eval:piqa]"])
        for task in ["fetch[dataset:shp]", "dpo", "eval"] { #expect(before[task] != after[task], "\(task)") }
        // An unresolved revision (the hub could not be asked) is its own identity, not a guess.
        let unresolved = try fingerprints(Self.pipeline)
        #expect(unresolved["fetch[dataset:shp]"] != before["fetch[dataset:shp]"])
    }

    @Test func editingALocalDatasetChangesEveryTaskThatReadsIt() throws {
        let before = try fingerprints(Self.pipeline)
        let after = try fingerprints(Self.pipeline, files: ["lima.jsonl": "{\"messages\": [\"changed\"]}\n"])
        #expect(Set(before.keys) == Set(after.keys))
        for stage in ["sft", "dpo", "eval"] { #expect(before[stage] != after[stage]) }
    }

    @Test func resourcesAndRetriesDoNotChangeTheResult() throws {
        let before = try fingerprints(Self.pipeline)
        let after = try fingerprints(
            Self.pipeline.replacingOccurrences(of: "resources: {gpus: 1, time: 8h}", with: "resources: {gpus: 1, cpus: 8, time: 1d, memory: 64G}\n  retries: 3")
        )
        #expect(before == after)
    }

    /// A trainer on four GPUs runs four processes, each step on four times the examples: another
    /// result. A stage that runs one process whatever its GPUs is the same task.
    @Test func theProcessesATrainerRunsChangeItsResult() throws {
        let before = try fingerprints(Self.pipeline)
        let after = try fingerprints(Self.pipeline.replacingOccurrences(of: "resources: {gpus: 1, time: 8h}", with: "resources: {gpus: 4, time: 8h}"))
        #expect(before["sft"] != after["sft"] && before["dpo"] != after["dpo"])
        let evaluation = try fingerprints(
            Self.pipeline.replacingOccurrences(of: "tasks: [piqa]}", with: "tasks: [piqa], resources: {gpus: 4}}"))
        #expect(evaluation["eval"] == before["eval"])
    }

    @Test func theChangedKeyIsNamed() throws {
        let before = try Compile.plan(Self.pipeline, files: Self.data)
        let after = try Compile.plan(Self.pipeline.replacingOccurrences(of: "learning_rate: 5e-7", with: "learning_rate: 1e-6"), files: Self.data)
        let dpoBefore = try #require(before.tasks.first { $0.stage == "dpo" })
        let dpoAfter = try #require(after.tasks.first { $0.stage == "dpo" })
        #expect(dpoAfter.fingerprint.changedKeys(since: dpoBefore.fingerprint) == [.settings, .command])
        let evalBefore = try #require(before.tasks.first { $0.stage == "eval" })
        let evalAfter = try #require(after.tasks.first { $0.stage == "eval" })
        #expect(evalAfter.fingerprint.changedKeys(since: evalBefore.fingerprint) == [.command, .inputs])
    }

    @Test func theCheckoutLocationDoesNotMatter() throws {
        // Each compilation writes the spec and its data to a different temporary directory.
        #expect(try fingerprints(Self.pipeline) == fingerprints(Self.pipeline))
    }

    @Test func thePlanJSONReadsBackWithTheSameTasks() throws {
        let plan = try Compile.plan(Self.pipeline, files: Self.data)
        let decoded = try JSONDecoder().decode(Plan.self, from: PlanJSON.encode(plan))
        #expect(decoded.tasks.map(\.id) == plan.tasks.map(\.id))
        #expect(decoded.tasks.map(\.fingerprint) == plan.tasks.map(\.fingerprint))
        #expect(decoded.tasks.map(\.command) == plan.tasks.map(\.command))
        #expect(decoded.tasks.map(\.dependencies) == plan.tasks.map(\.dependencies))
        #expect(decoded.variants == plan.variants)
    }

    /// The disk, with the content of some folders edited (their digests, and so the digest of
    /// every folder above them, differ).
    private struct EditedDisk: LocalFiles {
        let disk = DiskFiles()
        let edited: String

        func text(at path: String) -> String? { disk.text(at: path) }
        func kind(of path: String) -> LocalFileKind? { disk.kind(of: path) }
        func contentDigest(of path: String) throws -> String {
            let digest = try disk.contentDigest(of: path)
            return edited == path || edited.hasPrefix(path + "/") ? "edited-" + digest : digest
        }
    }

    @Test func editingARunnerTestChangesNoTaskButEditingARunnerChangesItsTasks() throws {
        let runners = try #require(
            Compile.plan(Self.pipeline, files: Self.data).tasks.first { $0.stage == "sft" }?.command.environment.first {
                $0.name == "PYTHONPATH"
            }?.value.parts.first)
        guard case .localPath(let directory) = runners else { throw Compile.CompileFailure(diagnostics: ["PYTHONPATH is not the runners folder"]) }
        let before = try fingerprints(Self.pipeline)
        let testEdited = try Compile.plan(Self.pipeline, files: Self.data, reading: EditedDisk(edited: directory + "/tests/test_training.py"))
        #expect(byName(testEdited) == before)
        let runnerEdited = try Compile.plan(Self.pipeline, files: Self.data, reading: EditedDisk(edited: directory + "/ablate_runners/sft.py"))
        let after = byName(runnerEdited)
        for stage in ["sft", "dpo", "eval"] { #expect(before[stage] != after[stage], "\(stage)") }
        let requirementsEdited = try Compile.plan(Self.pipeline, files: Self.data, reading: EditedDisk(edited: directory + "/environments/runners.txt"))
        #expect(requirementsEdited.tasks.first { $0.stage == "sft" }?.fingerprint.value != before["sft"])
    }
}
