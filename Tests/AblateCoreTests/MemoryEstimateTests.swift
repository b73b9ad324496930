import AblateCore
import AblateTestSupport
import Foundation
import Testing

/// The memory planner's arithmetic: parameter counts from a model's config equal the published
/// counts and the ones accelerate's own calculator gives, and the estimate adds up as the README
/// states.
@Suite struct MemoryEstimateTests {
    /// Configs of real models (their `config.json` sizes) and their published parameter counts.
    static let models: [(name: String, config: String, parameters: Int64)] = [
        (
            "Llama-2-7b",
            #"{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": false, "max_position_embeddings": 4096}"#,
            6_738_415_616
        ),
        (
            "Mistral-7B-v0.1",
            #"{"model_type": "mistral", "architectures": ["MistralForCausalLM"], "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": false, "max_position_embeddings": 32768}"#,
            7_241_732_096
        ),
        (
            "TinyLlama-1.1B",
            #"{"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 2048, "intermediate_size": 5632, "num_hidden_layers": 22, "num_attention_heads": 32, "num_key_value_heads": 4, "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": false, "max_position_embeddings": 2048}"#,
            1_100_048_384
        ),
        (
            "gpt2",
            #"{"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_embd": 768, "n_layer": 12, "n_head": 12, "vocab_size": 50257, "n_positions": 1024, "activation_function": "gelu_new"}"#,
            124_439_808
        ),
    ]

    @Test func parameterCountsAreThePublishedOnes() throws {
        for model in Self.models {
            let shape = try #require(ModelShape(configJSON: Data(model.config.utf8)), "\(model.name)")
            #expect(shape.parameters == model.parameters, "\(model.name): \(shape.parameters)")
        }
    }

    /// accelerate's memory calculator (`calculate_maximum_sizes`, what `accelerate estimate-memory`
    /// prints) on each Llama-family model built from its config on the meta device, in float32. It
    /// counts buffers too (the rotary embedding's 2 × 64 floats), hence the 1 KB of slack. (GPT-2
    /// built so on the meta device comes out with its output layer untied; its published count is
    /// checked above.)
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
    func weightBytesAreWhatAcceleratesCalculatorGives() async throws {
        let script = """
            import json, sys
            from accelerate import init_empty_weights
            from accelerate.utils import calculate_maximum_sizes
            from transformers import AutoConfig, AutoModelForCausalLM
            for line in open(sys.argv[1]):
                config = json.loads(line)
                with init_empty_weights():
                    model = AutoModelForCausalLM.from_config(AutoConfig.for_model(config.pop("model_type"), **config))
                print(calculate_maximum_sizes(model)[0])
            """
        let file = Scratch.path("configs") + ".jsonl"
        let llamas = Self.models.filter { $0.config.contains(#""hidden_act": "silu""#) }
        try llamas.map(\.config).joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await Python.run(["-c", script, file], variables: ["HF_HUB_OFFLINE=1"])
        #expect(result.status == 0, "\(result.output)")
        let sizes = result.output.split(separator: "\n").compactMap { Int64($0) }
        #expect(sizes.count == llamas.count, "\(result.output)")
        for (size, model) in zip(sizes, llamas) {
            let ours = try #require(ModelShape(configJSON: Data(model.config.utf8))).parameters * 4
            #expect(size >= ours && size - ours <= 1024, "\(model.name): accelerate \(size), ours \(ours)")
        }
    }

    private static func plan(stage: String, files: [String: String]) throws -> Plan {
        try Compile.plan(
            """
            ablate: 1
            name: memory
            models:
              llama: {path: llama}
            datasets:
              pairs: {path: pairs.jsonl, format: preference}
            stages:
            \(stage)
            """, files: files)
    }

    static let files = ["llama/config.json": models[0].config, "pairs.jsonl": #"{"prompt": "a", "chosen": "b", "rejected": "c"}"# + "\n"]

    /// fsdp shards a trainer's weights, gradients and AdamW states over its processes; a sampler's
    /// device_map spreads its weights and KV cache over its GPUs; ddp and shard keep a whole copy per GPU.
    @Test func shardingDividesWhatItShardsOverTheProcesses() throws {
        let shape = try #require(ModelShape(configJSON: Data(Self.models[0].config.utf8)))
        func parts(_ stage: String, _ id: String) throws -> [String: Int64] {
            let task = try #require(try Self.plan(stage: stage, files: Self.files).task(id: id))
            let estimate = try #require(MemoryEstimate.estimate(for: task, models: [.model: shape]))
            return Dictionary(uniqueKeysWithValues: estimate.parts.map { ($0.what, $0.bytes) })
        }
        let full = "kind: reward, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512"
        let replicas = try parts("  rm: {\(full), resources: {gpus: 4}}", "rm")
        let sharded = try parts("  rm: {\(full), resources: {gpus: 4}, distributed: {strategy: fsdp}}", "rm")
        #expect(replicas["weights"] == Int64(6_738_415_616) * 2)
        #expect(sharded["weights (sharded over 4)"] == Int64(6_738_415_616) * 2 / 4)
        #expect(sharded["gradients and AdamW states (sharded over 4)"] == replicas["gradients and AdamW states"].map { $0 / 4 })
        #expect(sharded["activations"] == replicas["activations"], "each process keeps its own activations")
        let sampling = "kind: generate, model: llama, prompts: pairs, precision: bf16"
        let copies = try parts("  samples: {\(sampling), resources: {gpus: 2}}", "samples")
        let spread = try parts("  samples: {\(sampling), resources: {gpus: 2}, placement: device_map}", "samples")
        #expect(spread["weights (sharded over 2)"] == copies["weights"].map { $0 / 2 })
        #expect(spread["KV cache (sharded over 2)"] == copies["KV cache"].map { $0 / 2 })
        let evaluation = try parts("  lm: {kind: lm-eval, model: llama, tasks: [piqa], precision: bf16, resources: {gpus: 2}}", "lm")
        #expect(evaluation["weights (sharded over 2)"] == copies["weights"].map { $0 / 2 }, "lm-eval places its model across its GPUs")
    }

    @Test func aLoRAStageNeedsTheWeightsAndLittleElseAFullDPOFourTimesMore() throws {
        let lora = try Self.plan(
            stage:
                "  dpo: {kind: dpo, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512, lora: {r: 8, alpha: 16}, resources: {gpus: 1}}",
            files: Self.files)
        let task = try #require(lora.task(id: "dpo"))
        let shape = try #require(ModelShape(configJSON: Data(Self.models[0].config.utf8)))
        let estimate = try #require(MemoryEstimate.estimate(for: task, models: [.model: shape]))
        let parts = Dictionary(uniqueKeysWithValues: estimate.parts.map { ($0.what, $0.bytes) })
        #expect(parts["weights"] == Int64(6_738_415_616) * 2)
        // r × (in + out) for q_proj (4096 + 4096) and v_proj (4096 + 4096) in 32 layers, 12 bytes each.
        #expect(parts["LoRA gradients and AdamW states"] == Int64(8 * 8192 * 2 * 32 * 12))
        #expect(parts["activations"] == Int64(34 * 4096 * 32 * 2 * 512), "34 bytes × hidden × layers per token, chosen and rejected")
        #expect(parts["reference model"] == nil, "LoRA's reference is the base with the adapter off")
        #expect(estimate.summary.hasPrefix("about 17.8 GiB per GPU (bf16): weights 12.6 GiB"), "\(estimate.summary)")

        let full = try Self.plan(
            stage:
                "  dpo: {kind: dpo, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512, gradient_checkpointing: true, resources: {gpus: 1}}",
            files: Self.files)
        let fullTask = try #require(full.task(id: "dpo"))
        let fullEstimate = try #require(MemoryEstimate.estimate(for: fullTask, models: [.model: shape]))
        let fullParts = Dictionary(uniqueKeysWithValues: fullEstimate.parts.map { ($0.what, $0.bytes) })
        #expect(fullParts["gradients and AdamW states"] == Int64(6_738_415_616) * 16, "4-byte gradient, two moments and a master copy")
        #expect(fullParts["reference model"] == Int64(6_738_415_616) * 2)
        #expect(fullParts["activations (checkpointed)"] == Int64(2 * 4096 * 32 * 2 * 512))
        #expect(fullEstimate.bytes > 80_000_000_000)
    }
}
