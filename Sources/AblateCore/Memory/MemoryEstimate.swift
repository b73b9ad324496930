/// The GPU memory a training or sampling task needs, part by part, from the shapes of the models
/// it loads and its settings. The formula (README, "GPU memory"):
/// - weights: parameters × bytes per parameter (fp32 4, bf16/fp16 2, 8-bit 1, 4-bit 0.5), for
///   every model the task holds (PPO: policy, reference, value and reward model; DPO with full
///   fine-tuning: a reference copy; best-of-N and the judge: the reward model too);
/// - training: the trained parameters (all of them, or LoRA's r × (in + out) per adapted matrix)
///   with a 4-byte gradient and AdamW's two 4-byte moments, and a 4-byte master copy when the
///   weights are in half precision (full fine-tuning);
/// - activations: 34 × sequence × batch × hidden bytes per layer in 16-bit (Korthikanti et al.,
///   2022, without the attention-score term that SDPA and FlashAttention do not keep), 2 × with
///   gradient checkpointing, doubled in fp32; DPO's batch holds chosen and rejected;
/// - sampling: the KV cache, 2 × layers × key-value width × (512 prompt tokens + new tokens) ×
///   sequences at once × bytes per value;
/// - 1 GiB for the CUDA context and the allocator's slack.
///
/// A trainer on several processes keeps a replica per GPU (ddp) unless `distributed.strategy` is
/// fsdp (full_shard): then the weights, gradients and AdamW states of the models it trains or
/// holds as a reference are sharded over every process of the task. A sampler with
/// `placement: device_map` (and lm-eval with several GPUs) spreads its models and KV cache over its GPUs.
public struct MemoryEstimate: Codable, Hashable, Sendable {
    /// One part of the estimate.
    public struct Part: Codable, Hashable, Sendable {
        public var what: String
        public var bytes: Int64
    }

    public var parts: [Part]
    /// The dtype the estimate assumes (`precision: auto` is bf16 for a task with GPUs).
    public var precision: String

    /// Per GPU: each data-parallel replica holds all of it.
    public var bytes: Int64 { parts.reduce(0) { $0 + $1.bytes } }

    /// The allowance for the CUDA context and fragmentation.
    public static let overhead: Int64 = 1 << 30
    /// Prompt tokens allowed for when a sampling stage does not bound them.
    static let promptTokens = 512

    /// The estimate for `task`, whose model inputs have the shapes `models` (by role); nil for a
    /// kind that loads no model, or when the shape of its main model is not known.
    public static func estimate(for task: PlannedTask, models: [InputRole: ModelShape]) -> MemoryEstimate? {
        guard let model = models[.model] else { return nil }
        let settings = task.kind.descriptor.effectiveSettings(task.settings)
        func int(_ name: String) -> Int? {
            if case .int(let value)? = settings[name] { return value }
            return nil
        }
        let precision = Self.precision(settings, gpus: task.resources.gpus)
        let valueBytes: Int64 = precision == "fp32" ? 4 : 2
        let weightBytes = Self.weightBytes(settings, valueBytes: valueBytes)
        var parts: [Part] = []
        func weights(_ label: String, _ shape: ModelShape, bytes: Double = weightBytes, shards: Int = 1) {
            parts.append(Part(what: label + Self.sharding(shards), bytes: Int64(Double(shape.parameters) * bytes) / Int64(shards)))
        }
        switch task.kind {
        case .sft, .reward, .dpo, .ppo:
            let lora = Self.lora(settings)
            let shards = Self.shards(task, settings)
            weights("weights", model, shards: shards)
            let trained = lora.map { Self.loraParameters(model, rank: $0.rank, modules: $0.modules) } ?? model.parameters
            let master: Int64 = lora == nil && valueBytes < 4 ? 4 : 0
            parts.append(
                Part(
                    what: (lora == nil ? "gradients and AdamW states" : "LoRA gradients and AdamW states") + Self.sharding(shards),
                    bytes: trained * (12 + master) / Int64(shards)))
            if task.kind == .dpo && lora == nil { weights("reference model", models[.referenceModel] ?? model, shards: shards) }
            if task.kind == .ppo {
                weights("reference model", model)
                weights("value model", models[.rewardModel] ?? model)
                weights("reward model", models[.rewardModel] ?? model)
            }
            let batch = (int("batch_size") ?? 8) * (task.kind == .dpo || task.kind == .reward ? 2 : 1)
            let length = (int("max_length") ?? 1024) + (task.kind == .ppo ? (int("max_new_tokens") ?? 64) : 0)
            let checkpointing = settings["gradient_checkpointing"] == .bool(true)
            let perToken = Int64(checkpointing ? 2 : 34) * Int64(model.hidden) * Int64(model.layers) * valueBytes / 2
            parts.append(Part(what: checkpointing ? "activations (checkpointed)" : "activations", bytes: perToken * Int64(batch) * Int64(length)))
        case .generate, .bon, .lmEval, .judge, .merge:
            let placedAcross = settings["placement"] == .string("device_map") || task.kind.descriptor.runner?.placesModelAcrossGPUs == true
            let spread = placedAcross ? max(task.resources.gpus, 1) : 1
            weights("weights", model, shards: spread)
            if task.kind == .bon, let reward = models[.rewardModel] { weights("reward model", reward, bytes: Double(valueBytes), shards: spread) }
            let sequences =
                (int("batch_size") ?? 8) * (task.kind == .bon ? (int("n") ?? 16) * (int("samples_per_prompt") ?? 1) : int("samples_per_prompt") ?? 1)
            let length = (task.kind == .lmEval ? (int("max_length") ?? 2048) : promptTokens + (int("max_new_tokens") ?? 64))
            let cache = 2 * Int64(model.layers) * Int64(model.keyValueWidth) * Int64(length) * Int64(sequences) * valueBytes
            if task.kind != .merge { parts.append(Part(what: "KV cache" + Self.sharding(spread), bytes: cache / Int64(spread))) }
        default:
            return nil
        }
        parts.append(Part(what: "CUDA context and slack", bytes: overhead))
        return MemoryEstimate(parts: parts, precision: precision)
    }

    /// The processes a fully sharded (fsdp) trainer spreads its model states over; 1 otherwise.
    private static func shards(_ task: PlannedTask, _ settings: [String: SettingValue]) -> Int {
        guard case .map(let distributed)? = settings["distributed"], distributed["strategy"] == .string("fsdp"),
            let processes = task.kind.descriptor.launchedProcesses(task.resources, settings: settings)
        else { return 1 }
        return processes * task.resources.nodes
    }

    private static func sharding(_ shards: Int) -> String {
        shards > 1 ? " (sharded over \(shards))" : ""
    }

    /// The dtype the task computes in: `auto` is bf16 on a GPU (assumed when the task asks for one).
    private static func precision(_ settings: [String: SettingValue], gpus: Int) -> String {
        guard case .string(let precision)? = settings["precision"], precision != "auto" else { return gpus > 0 ? "bf16" : "fp32" }
        return precision
    }

    /// Bytes per weight: the dtype's, or the quantization's.
    private static func weightBytes(_ settings: [String: SettingValue], valueBytes: Int64) -> Double {
        switch settings["quantization"] {
        case .string("4bit")?: return 0.5
        case .string("8bit")?: return 1
        default: return Double(valueBytes)
        }
    }

    /// LoRA's rank and adapted modules, when the task trains adapters.
    private static func lora(_ settings: [String: SettingValue]) -> (rank: Int, modules: [String])? {
        guard case .map(let fields)? = settings["lora"], case .int(let rank)? = fields["r"], fields["enabled"] != .bool(false) else { return nil }
        let modules: [String]
        if case .list(let names)? = fields["target_modules"] { modules = names.map(\.text) } else { modules = ["q_proj", "v_proj"] }
        return (rank, modules)
    }

    /// r × (in + out) for every adapted matrix of every layer.
    static func loraParameters(_ shape: ModelShape, rank: Int, modules: [String]) -> Int64 {
        let h = shape.hidden
        let perLayer = modules.reduce(0) { sum, module -> Int in
            switch module {
            case "k_proj", "v_proj": return sum + rank * (h + shape.keyValueWidth)
            case "gate_proj", "up_proj", "down_proj": return sum + rank * (h + shape.intermediate)
            default: return sum + rank * 2 * h
            }
        }
        return Int64(perLayer) * Int64(shape.layers)
    }

    /// `about 16.2 GiB per GPU (bf16): weights 12.6 GiB, activations 1.7 GiB, …`.
    public var summary: String {
        "about \(Self.format(bytes)) per GPU (\(precision)): " + parts.map { "\($0.what) \(Self.format($0.bytes))" }.joined(separator: ", ")
    }

    /// Gibibytes with one decimal, as `nvidia-smi` counts a GPU's memory (an "80 GB" GPU has 80 GiB).
    public static func format(_ bytes: Int64) -> String {
        let tenths = Int((Double(bytes) / Double(1 << 30) * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) GiB"
    }
}
