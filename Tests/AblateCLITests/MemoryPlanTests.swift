import AblateTestSupport
import Foundation
import Testing

/// `ablate plan` shows each task's GPU memory estimate when its model's config can be read, and
/// warns of a task that will not fit the GPUs it gets.
struct MemoryPlanTests {
    /// A study of Llama-2-7B's sizes (no weights are needed to plan) in a new directory.
    private static func study() throws -> String {
        let directory = Scratch.path("memory")
        try FileManager.default.createDirectory(atPath: directory + "/llama", withIntermediateDirectories: true)
        try
            #"{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": false}"#
            .write(toFile: directory + "/llama/config.json", atomically: true, encoding: .utf8)
        try (#"{"prompt": "a", "chosen": "b", "rejected": "c"}"# + "\n").write(toFile: directory + "/pairs.jsonl", atomically: true, encoding: .utf8)
        try """
        ablate: 1
        name: memory
        models: {llama: {path: llama}}
        datasets: {pairs: {path: pairs.jsonl, format: preference}}
        stages:
          lora: {kind: dpo, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512, lora: {r: 8, alpha: 16}, resources: {gpus: 1}}
          full: {kind: dpo, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512, resources: {gpus: 1}}
          samples: {kind: generate, model: "${stages.lora.model}", prompts: pairs, precision: bf16, resources: {gpus: 1}}
          sharded:
            {kind: dpo, model: llama, data: pairs, precision: bf16, batch_size: 1, max_length: 512, resources: {gpus: 8}, distributed: {strategy: fsdp}}
        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    @Test func planShowsTheEstimateAndWarnsOfATaskThatDoesNotFit() async throws {
        let directory = try Self.study()
        let plan = try await CLIRunner.run(["plan", "study.yaml", "--gpu-memory", "80G"], in: directory)
        #expect(plan.status == 0, "\(plan.stderr)")
        #expect(plan.stdout.contains("  memory:    about 17.8 GiB per GPU (bf16): weights 12.6 GiB"), "\(plan.stdout)")
        let warnings = plan.stderr.split(separator: "\n").filter { $0.hasPrefix("warning: ") }
        #expect(warnings.count == 1, "only the full fine-tuning on one GPU does not fit: \(plan.stderr)")
        #expect(
            warnings.first?.hasPrefix("warning: full: about ") == true
                && warnings.first?.contains(
                    " needed per GPU, 80.0 GiB per GPU: use LoRA, bf16, gradient checkpointing, 4-bit quantization, several GPUs with distributed: {strategy: fsdp} or a larger GPU"
                ) == true,
            "\(plan.stderr)")
        // Fully sharded over 8 processes, the weights, gradients, AdamW states and the reference model are an eighth each.
        #expect(plan.stdout.contains("weights (sharded over 8) 1.6 GiB, gradients and AdamW states (sharded over 8) 12.6 GiB"), "\(plan.stdout)")

        let json = try await CLIRunner.run(["plan", "study.yaml", "--format", "json"], in: directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let memory = try #require(object["memory"] as? [String: Any])
        // The samples come from a model not trained yet: it has the shape of the model it is trained from.
        #expect(Set(memory.keys) == ["lora", "full", "sharded", "samples"])
    }

    /// A model that a cached task made is read from the cache, not taken to have the shape of the
    /// model it was trained from.
    @Test func aModelInTheCacheIsReadFromThere() async throws {
        let directory = try Self.study()
        func plan() async throws -> [String: Any] {
            let json = try await CLIRunner.run(["plan", "study.yaml", "--format", "json", "--cache-dir", "cache"], in: directory)
            #expect(json.status == 0, "\(json.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        }
        func samplesBytes(_ object: [String: Any]) -> Int? {
            let parts = ((object["memory"] as? [String: Any])?["samples"] as? [String: Any])?["parts"] as? [[String: Any]]
            return parts?.reduce(0) { $0 + ($1["bytes"] as? Int ?? 0) }
        }
        let before = try await plan()
        let tasks = try #require(before["tasks"] as? [[String: Any]])
        let lora = try #require(tasks.first { $0["id"] as? String == "lora" })
        let fingerprint = try #require((lora["fingerprint"] as? [String: Any])?["value"] as? String)
        // The cached model has 2 layers, not 32.
        let model = directory + "/cache/" + fingerprint + "/outputs/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        try
            #"{"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 2, "num_attention_heads": 32, "num_key_value_heads": 32, "vocab_size": 32000, "hidden_act": "silu", "tie_word_embeddings": false}"#
            .write(toFile: model + "/config.json", atomically: true, encoding: .utf8)
        let trained = try #require(samplesBytes(before))
        let cached = try await #require(samplesBytes(try plan()))
        #expect(cached < trained / 4, "\(cached) bytes from the cached 2-layer model, \(trained) from the 32-layer one")
    }
}
