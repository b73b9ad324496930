import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import GRDB
import Testing

/// The index's params are the values a task runs with: what the spec says, and the runner's
/// default for what it leaves out.
@Suite struct IndexParamsTests {
    /// An index in memory that holds a run "r" of the study.
    private func indexWithRun(study: String) throws -> RunIndex {
        let index = try RunIndex(writer: DatabaseQueue())
        let date = Date(timeIntervalSince1970: 0)
        let provenance = Provenance(gitCommit: nil, gitDirty: nil, host: "h", ablateVersion: "v", toolVersions: [:], environmentFingerprint: "e")
        try index.record(
            run: RunRecord(
                id: "r", study: study, specFile: "study.yaml", state: .running, createdAt: date, pid: 1, heartbeatAt: date, executor: .local,
                provenance: provenance))
        return index
    }

    @Test func paramsHoldTheRunnersDefaultsBesideTheSpecsValues() throws {
        let directory = Scratch.path("params")
        try FileManager.default.createDirectory(atPath: directory + "/base", withIntermediateDirectories: true)
        try "{}".write(toFile: directory + "/base/config.json", atomically: true, encoding: .utf8)
        try "{}\n".write(toFile: directory + "/chat.jsonl", atomically: true, encoding: .utf8)
        let spec = """
            ablate: 1
            name: params
            models: {base: {path: base}}
            datasets: {chat: {path: chat.jsonl, format: messages}}
            stages:
              sft: {kind: sft, model: base, data: chat, lora: {r: 8}, epochs: 3}
            """
        let outcome = StudyCompiler().compile(text: spec, file: directory + "/study.yaml")
        let task = try #require(outcome.plan?.tasks.first { $0.stage == "sft" }, "\(outcome.diagnostics.sorted.map(\.description))")
        let index = try indexWithRun(study: "params")
        try index.record(tasks: [(TaskRecord(task: task, state: .pending), nil)], runID: "r")
        let params = try index.writer.read { db in
            Dictionary(
                uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT name, value FROM param WHERE taskId = 'sft'").map { row -> (String, String) in
                    (row[0], row[1])
                })
        }
        #expect(params["epochs"] == "3" && params["lora.r"] == "8", "the spec's values")
        #expect(params["lora.dropout"] == "0" && params["batch_size"] == "8" && params["seed"] == "0", "the runner's defaults: \(params)")
        #expect(params["learning_rate"] == "2e-05" && params["max_length"] == "1024", "the trainer's defaults, named: \(params)")
        #expect(params["max_steps"] == nil, "a setting without a default stays unset")
    }

    @Test func aVariantsAxisValuesAreAJSONObjectWithSortedKeys() throws {
        let spec = """
            ablate: 1
            name: axes
            sweep:
              grid:
                data: [org/lima]
                lr: [2e-5]
                seed: [1]
                shuffle: [true]
            stages:
              work: {kind: command, command: [echo, "${sweep.data}", "${sweep.lr}", "${sweep.seed}"]}
            """
        let outcome = StudyCompiler().compile(text: spec, file: NSTemporaryDirectory() + "axes.yaml")
        let plan = try #require(outcome.plan, "\(outcome.diagnostics.sorted.map(\.description))")
        let index = try indexWithRun(study: "axes")
        try index.record(variants: plan.variants, runID: "r")
        let text = try index.writer.read { db in try String.fetchOne(db, sql: "SELECT axisValues FROM variant WHERE runId = 'r'") }
        #expect(text == #"{"data":"org/lima","lr":2e-05,"seed":1,"shuffle":true}"#)
    }
}
