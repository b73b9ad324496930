import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A training task with two GPUs runs as two processes (ablate's launcher, torchrun, gloo on
/// this CPU machine): on the local executor with two named devices, and as one job of one node on
/// the local Slurm cluster (whose node has two fake GPUs). Rank 0 alone writes the model and the
/// series; the data is sharded over both ranks. It runs the real SFT runner on the tiny model.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct DistributedRunTests {
    static func study(_ name: String, resources: String) throws -> TrainingStudy {
        try TrainingStudy(name: name, settings: "    max_steps: 3\n    resources: \(resources)", sample: 12)
    }

    /// Checks that the task ran as two ranks: the launcher's command, one series line per step,
    /// and one epoch (12 examples sampled from the instructions, 2 per rank and step) in 3 steps
    /// rather than 6.
    static func expectTwoRanks(_ layout: RunLayout?, _ status: Int32, _ stderr: String) throws {
        #expect(status == 0, "\(stderr)")
        let layout = try #require(layout)
        #expect(try layout.readTaskRecord("sft")?.state == .completed)
        let command = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout.command("sft")))) as? [String: Any]
        let arguments = try #require(command?["arguments"] as? [String])
        #expect(Array(arguments.dropFirst().prefix(7)) == ["-m", "ablate_runners.launch", "--nodes", "1", "--processes-per-node", "2", "sft"])
        let series = try String(contentsOfFile: layout.outputs("sft") + "/metrics.jsonl", encoding: .utf8)
        let losses = try series.split(separator: "\n").compactMap { line in
            try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        }.filter { $0["loss"] != nil }
        #expect(losses.map { $0["step"] as? Int } == [1, 2, 3], "one line per step: \(series)")
        #expect(losses.last?["epoch"] as? Double == 1.0, "\(series)")
        #expect(FileManager.default.fileExists(atPath: layout.outputs("sft") + "/model/adapter_model.safetensors"))
    }

    @Test func locallyATrainerWithTwoGPUsRunsTwoRanks() async throws {
        let study = try Self.study("ddp-local", resources: "{gpus: 2}")
        let result = try await CLIRunner.run(
            ["run", "study.yaml", "--runs-dir", study.runs, "--gpus", "0,1"], in: study.directory, environment: study.environment)
        try Self.expectTwoRanks(study.layout, result.status, result.stderr)
    }

    @Test(.enabled(if: LocalSlurm.isAvailable))
    func onSlurmATrainerWithTwoGPUsIsOneJobOfTwoRanks() async throws {
        let study = try Self.study("ddp-slurm", resources: "{gpus: 2}")
        let result = try await LocalSlurm.withTheNode {
            try await CLIRunner.run(
                ["run", "study.yaml", "--runs-dir", study.runs, "--executor", "slurm", "--poll-interval", "0.3"], in: study.directory,
                environment: study.environment)
        }
        try Self.expectTwoRanks(study.layout, result.status, result.stderr)
        let record = try #require(try study.layout?.readTaskRecord("sft"))
        #expect(record.attempts.count == 1 && record.attempts.first?.jobID != nil)
    }

    @Test func theLocalExecutorRefusesATaskOnSeveralNodesBeforeAnythingRuns() async throws {
        let study = try Self.study("nodes-local", resources: "{nodes: 2, gpus: 1}")
        let result = try await CLIRunner.run(["run", "study.yaml", "--runs-dir", study.runs], in: study.directory, environment: study.environment)
        #expect(result.status != 0)
        #expect(
            result.stderr.contains(
                "task sft spans 2 nodes, and the local executor runs tasks on this machine alone; run it with --executor slurm, or set resources.nodes: 1"),
            "\(result.stderr)")
        #expect(try study.layout?.readTaskRecord("tiny-model")?.state != .completed, "nothing ran")
    }
}
