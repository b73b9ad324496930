import AblateCore
import Foundation
import Testing

/// Trainers with several GPUs or nodes run under the launcher, one process per GPU, and the
/// combinations of `resources:` and `distributed:` that cannot run are errors where they are written.
@Suite struct DistributedTrainingTests {
    /// `settings` are YAML lines of the SFT stage, four spaces in (the stage starts at line 8).
    static func spec(sft settings: String, generate: String = "") -> String {
        """
        ablate: 1
        name: distributed
        models:
          base: {path: base-model}
        datasets:
          chat: {path: chat.jsonl, format: messages}
        stages:
          sft:
            kind: sft
            model: base
            data: chat
            lora: {r: 8, alpha: 16}
        \(settings)
          samples:
            kind: generate
            model: "${stages.sft.model}"
            prompts: chat
        \(generate)

        """
    }

    static let files = [
        "base-model/config.json": "{}", "chat.jsonl": #"{"messages": []}"# + "\n", "fsdp.json": #"{"fsdp_sharding_strategy": "FULL_SHARD"}"#,
    ]

    static func command(_ task: PlannedTask) -> [String] { task.command.arguments.map(\.display) }

    @Test func aTrainerWithSeveralGPUsRunsOneProcessPerGPU() throws {
        let two = try #require(try Compile.plan(Self.spec(sft: "    resources: {gpus: 2}"), files: Self.files).task(id: "sft"))
        #expect(Array(Self.command(two)[1...8]) == ["-m", "ablate_runners.launch", "--nodes", "1", "--processes-per-node", "2", "sft", "--model"])
        let one = try #require(try Compile.plan(Self.spec(sft: "    resources: {gpus: 1}"), files: Self.files).task(id: "sft"))
        #expect(Array(Self.command(one)[1...2]) == ["-m", "ablate_runners.sft"])
        // Two processes see twice the batch per step: a different result, a different task.
        #expect(two.fingerprint != one.fingerprint)
        let samples = try #require(try Compile.plan(Self.spec(sft: "    resources: {gpus: 2}"), files: Self.files).task(id: "samples"))
        #expect(Array(Self.command(samples)[1...2]) == ["-m", "ablate_runners.generate"], "sampling on one GPU is one process")
    }

    @Test func samplingWithSeveralGPUsSharesBatchesOutOrPlacesOneModelAcrossThem() throws {
        let shared = try #require(try Compile.plan(Self.spec(sft: "", generate: "    resources: {gpus: 4}"), files: Self.files).task(id: "samples"))
        #expect(Array(Self.command(shared)[1...7]) == ["-m", "ablate_runners.launch", "--nodes", "1", "--processes-per-node", "4", "generate"])
        let placed = try #require(
            try Compile.plan(Self.spec(sft: "", generate: "    resources: {gpus: 4}\n    placement: device_map"), files: Self.files).task(id: "samples"))
        #expect(Array(Self.command(placed)[1...2]) == ["-m", "ablate_runners.generate"])
        #expect(Self.command(placed).joined(separator: " ").contains("--placement device_map"))
    }

    @Test func aTrainerOnSeveralNodesStartsOneLauncherPerNode() throws {
        let plan = try Compile.plan(Self.spec(sft: "    resources: {nodes: 2, gpus: 8, time: 10h}"), files: Self.files)
        let sft = try #require(plan.task(id: "sft"))
        #expect(Array(Self.command(sft)[1...7]) == ["-m", "ablate_runners.launch", "--nodes", "2", "--processes-per-node", "8", "sft"])
        #expect(sft.resources == TaskResources(gpus: 8, cpus: 1, timeLimitSeconds: 36_000, nodes: 2))
        #expect(sft.resources.summary == "nodes=2 gpus=8 cpus=1 time=10h")
    }

    @Test func theStrategyAndItsConfigFileReachTheTrainerAndTheFingerprint() throws {
        let settings = "    resources: {gpus: 4}\n    distributed: {strategy: fsdp, config: fsdp.json}"
        let outcome = try Compile.text(Self.spec(sft: settings), files: Self.files)
        let sft = try #require(outcome.plan?.task(id: "sft"))
        let line = Self.command(sft).joined(separator: " ")
        #expect(line.contains("--distributed-config /") && line.contains("/fsdp.json --distributed-strategy fsdp"), "\(line)")
        var edited = Self.files
        edited["fsdp.json"] = #"{"fsdp_sharding_strategy": "SHARD_GRAD_OP"}"#
        let other = try #require(try Compile.plan(Self.spec(sft: settings), files: edited).task(id: "sft"))
        #expect(other.fingerprint != sft.fingerprint, "the config file's content is an input")
        #expect(outcome.diagnostics.diagnostics.isEmpty)
    }

    /// The first diagnostic of `severity`, without the temporary directory before `spec.yaml`.
    static func diagnostic(
        _ sft: String, generate: String = "", files: [String: String] = files, _ severity: Diagnostic.Severity = .error
    )
        throws -> String
    {
        let outcome = try Compile.text(Self.spec(sft: sft, generate: generate), files: files)
        let found = try #require(outcome.diagnostics.sorted.first { $0.severity == severity }?.description)
        return String(found[try #require(found.range(of: "spec.yaml:")).lowerBound...])
    }

    @Test func combinationsThatCannotRunAreErrorsAtTheSetting() throws {
        #expect(
            try Self.diagnostic("", generate: "    resources: {nodes: 2, gpus: 1}")
                == "spec.yaml:18:24: error: stage 'samples' (kind 'generate') runs as one process on one machine, so it cannot span 2 nodes; "
                + "nodes is for the trainers that run one process per GPU (sft, reward, dpo): set nodes: 1")
        #expect(
            try Self.diagnostic("    resources: {nodes: 2}")
                == "spec.yaml:13:24: error: stage 'sft' (kind 'sft') spans 2 nodes without GPUs: a task on several nodes trains with one process "
                + "per GPU; give resources.gpus, the GPUs on each node (gpus: 8 with nodes: 2 is 16 processes)")
        #expect(
            try Self.diagnostic("    resources: {gpus: 2}\n    distributed: {strategy: deepspeed}")
                == "spec.yaml:14:29: error: stage 'sft' (kind 'sft'): the deepspeed strategy needs distributed.config, a DeepSpeed JSON file "
                + "(its zero_optimization stage and the rest); add config: ds_config.json, or use strategy: fsdp")
        #expect(
            try Self.diagnostic("    resources: {gpus: 2}\n    distributed: {config: fsdp.json}")
                == "spec.yaml:14:27: error: stage 'sft' (kind 'sft'): distributed.config is read by the fsdp and deepspeed strategies, and this "
                + "stage uses ddp; set strategy: fsdp or deepspeed, or leave config out")
        #expect(
            try Self.diagnostic("    distributed: {strategy: fsdp, config: absent.json}").hasPrefix(
                "spec.yaml:13:43: error: 'distributed.config' of stage 'sft' names 'absent.json', which does not exist"))
        #expect(
            try Self.diagnostic("    distributed: {strategy: zero3}").hasPrefix(
                "spec.yaml:13:29: error: 'distributed.strategy' must be one of 'ddp', 'fsdp' or 'deepspeed'"))
    }

    @Test func whatRunsButLeavesGPUsUnusedIsAWarning() throws {
        #expect(
            try Self.diagnostic("    distributed: {strategy: fsdp}", files: Self.files, .warning)
                == "spec.yaml:13:18: warning: stage 'sft' (kind 'sft') runs as one process (gpus: 0, nodes: 1), so distributed has no effect; "
                + "give resources.gpus: 2 or more to train on several processes")
        #expect(
            try Self.diagnostic("    placement: shard")
                == "spec.yaml:13:5: error: stages of kind 'sft' do not read 'placement'; it applies to 'bon' or 'generate'")
        let judging =
            "  judge:\n    kind: judge\n    samples: \"${stages.samples.samples}\"\n    baseline: \"${stages.samples.samples}\"\n    resources: {gpus: 4}"
        #expect(
            try Self.diagnostic("", generate: judging, files: Self.files, .warning)
                == "spec.yaml:22:23: warning: stage 'judge' (kind 'judge') runs as one process on one GPU, so 3 of its 4 GPUs stay idle; "
                + "set gpus: 1 (several GPUs train as one process each in sft, reward, dpo, and sample in bon, generate)")
        let evaluation = "  lm:\n    kind: lm-eval\n    model: \"${stages.sft.model}\"\n    tasks: [piqa]\n    resources: {gpus: 4}"
        let placed = try Compile.text(Self.spec(sft: "", generate: evaluation), files: Self.files)
        #expect(placed.diagnostics.diagnostics.isEmpty, "lm-eval places its model across its GPUs")
        #expect(
            try Self.diagnostic("", generate: "    placement: device_map", files: Self.files, .warning)
                == "spec.yaml:18:16: warning: stage 'samples' (kind 'generate') has no GPU, so placement has no effect; give resources.gpus: 2 or more")
    }

    @Test func aPlanWrittenBeforeNodesExistedReadsAsOneNode() throws {
        let old = try JSONDecoder().decode(TaskResources.self, from: Data(#"{"gpus": 2, "cpus": 4}"#.utf8))
        #expect(old == TaskResources(gpus: 2, cpus: 4) && old.nodes == 1)
    }
}
