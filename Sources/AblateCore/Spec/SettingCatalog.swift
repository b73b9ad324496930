/// One setting a stage (or the spec's `defaults:`) can carry.
public struct SettingDefinition: Sendable {
    public var name: String
    public var type: SettingType
    public var summary: String
    /// Whether the setting changes what a task produces. Resources and retries change how a
    /// task runs, not its result, so they stay out of its fingerprint.
    public var affectsResult: Bool = true

    /// The stage kinds that read this setting (from `StageKinds.table`); `defaults:` apply it
    /// to these kinds only.
    public var kinds: Set<StageKind> { StageKinds.kinds(reading: name) }
}

/// Every setting the spec language knows, with its type; `StageKinds.table` says which kinds read it.
public enum SettingCatalog {
    /// The setting that points a stage at an existing interpreter.
    static let pythonSetting = "python"

    public static let lora: [SettingDefinition] = [
        SettingDefinition(name: "r", type: .positiveInteger, summary: "LoRA rank"),
        SettingDefinition(name: "alpha", type: .positiveNumber, summary: "LoRA scaling factor"),
        SettingDefinition(name: "dropout", type: .fraction, summary: "LoRA dropout"),
        SettingDefinition(name: "target_modules", type: .stringList, summary: "modules LoRA adapts"),
        SettingDefinition(name: "enabled", type: .bool, summary: "train LoRA adapters (true) or all weights (false)"),
    ]

    public static let resources: [SettingDefinition] = [
        SettingDefinition(name: "gpus", type: .nonNegativeInteger, summary: "GPUs the task needs (on each node, with nodes)"),
        SettingDefinition(name: "nodes", type: .positiveInteger, summary: "machines a training task spans (Slurm; one launcher per node)"),
        SettingDefinition(name: "cpus", type: .positiveInteger, summary: "CPU cores the task needs"),
        SettingDefinition(name: "memory", type: .memory, summary: "memory the task needs (64G)"),
        SettingDefinition(name: "time", type: .duration, summary: "time limit (8h, 90m)"),
    ]

    public static let distributed: [SettingDefinition] = [
        SettingDefinition(
            name: "strategy", type: .choice(["ddp", "fsdp", "deepspeed"]),
            summary: "how the processes share the training: a replica each (ddp), sharded (fsdp), or DeepSpeed"),
        SettingDefinition(name: "config", type: .path, summary: "the FSDP config file (fsdp) or DeepSpeed JSON (deepspeed, required)"),
    ]

    public static let checkpoint: [SettingDefinition] = [
        SettingDefinition(name: "every", type: .checkpointInterval, summary: "save every N optimizer steps (500) or every duration (30m)"),
        SettingDefinition(name: "keep", type: .positiveInteger, summary: "complete checkpoints kept (the newest)"),
    ]

    public static let all: [SettingDefinition] = [
        SettingDefinition(name: "lora", type: .record(lora), summary: "LoRA adapter settings (PEFT)"),
        SettingDefinition(name: "max_length", type: .positiveInteger, summary: "maximum sequence length in tokens"),
        SettingDefinition(name: "learning_rate", type: .positiveNumber, summary: "optimizer learning rate"),
        SettingDefinition(name: "epochs", type: .positiveNumber, summary: "training epochs"),
        SettingDefinition(name: "max_steps", type: .positiveInteger, summary: "training steps (overrides epochs)"),
        SettingDefinition(name: "batch_size", type: .positiveInteger, summary: "per-device batch size"),
        SettingDefinition(name: "gradient_accumulation_steps", type: .positiveInteger, summary: "steps accumulated per optimizer step"),
        SettingDefinition(name: "warmup_ratio", type: .fraction, summary: "share of steps spent warming up the learning rate"),
        SettingDefinition(name: "beta", type: .positiveNumber, summary: "DPO temperature beta"),
        SettingDefinition(name: "kl_coef", type: .positiveNumber, summary: "PPO KL penalty coefficient"),
        SettingDefinition(name: "ppo_epochs", type: .positiveInteger, summary: "PPO optimisation epochs over each batch of rollouts"),
        SettingDefinition(name: "seed", type: .nonNegativeInteger, summary: "random seed"),
        SettingDefinition(
            name: "precision", type: .choice(["auto", "bf16", "fp16", "fp32"]),
            summary: "the dtype weights load in and the trainer computes in (auto: bf16 on a GPU that has it, else fp32)"),
        SettingDefinition(
            name: "distributed", type: .record(distributed),
            summary: "how a training task with several GPUs or nodes shares the work (one process per GPU; ddp unless said)"),
        SettingDefinition(
            name: "placement", type: .choice(["shard", "device_map"]),
            summary: "with several GPUs: batches shared out over one process per GPU (shard), or one model across them (device_map)"),
        SettingDefinition(name: "gradient_checkpointing", type: .bool, summary: "recompute activations in the backward pass, to save memory"),
        SettingDefinition(
            name: "quantization", type: .choice(["none", "4bit", "8bit"]), summary: "load the base model quantised with bitsandbytes (QLoRA when training)"),
        SettingDefinition(name: "attention", type: .choice(["sdpa", "flash_attention_2", "eager"]), summary: "the attention implementation"),
        SettingDefinition(name: "temperature", type: .nonNegativeNumber, summary: "sampling temperature"),
        SettingDefinition(name: "max_new_tokens", type: .positiveInteger, summary: "tokens generated per sample"),
        SettingDefinition(name: "n", type: .positiveInteger, summary: "candidates per prompt for best-of-N"),
        SettingDefinition(
            name: "samples_per_prompt", type: .positiveInteger, summary: "samples per prompt (K; for best-of-N, each the best of n)"),
        SettingDefinition(name: "max_prompts", type: .positiveInteger, summary: "prompts to use from the prompt set"),
        SettingDefinition(name: "tasks", type: .stringList, summary: "lm-evaluation-harness task names"),
        SettingDefinition(name: "num_fewshot", type: .nonNegativeInteger, summary: "few-shot examples per item"),
        SettingDefinition(name: "limit", type: .positiveNumber, summary: "items per task, or below 1 the fraction of them (for quick runs)"),
        SettingDefinition(name: "task_dir", type: .path, summary: "directory of local task YAMLs (--include_path)"),
        SettingDefinition(name: "metrics", type: .choiceList(DiversityMetric.allNames), summary: "diversity metrics to compute"),
        SettingDefinition(name: "nli_model", type: .string, summary: "NLI model for logical diversity"),
        SettingDefinition(
            name: "judge", type: .choice(["reward-model", "endpoint"]), summary: "who judges: a reward model or an OpenAI-compatible endpoint"),
        SettingDefinition(name: "judge_prompt", type: .choice(["summary", "instruction"]), summary: "the ranking prompt to use"),
        SettingDefinition(name: "endpoint_model", type: .string, summary: "model name at the judge endpoint"),
        SettingDefinition(
            name: "features", type: .choiceList(["length", "sentiment", "pos", "lemmas"]), summary: "linguistic features to measure"),
        SettingDefinition(name: "groups", type: .stringList, summary: "the demographic groups to score (default: every group in the data)"),
        SettingDefinition(name: "resamples", type: .positiveInteger, summary: "bootstrap resamples of each correlation's interval"),
        SettingDefinition(
            name: pythonSetting, type: .string,
            summary: "an existing Python (path or name on PATH) to run the stage with, instead of ablate's managed environment"),
        SettingDefinition(name: "resources", type: .record(resources), summary: "resources the task needs", affectsResult: false),
        SettingDefinition(name: "retries", type: .nonNegativeInteger, summary: "times a failed task is retried", affectsResult: false),
        SettingDefinition(
            name: "temporary", type: .bool,
            summary: "delete the stage's outputs once every task that reads them has completed (a later task that needs them runs the stage again)",
            affectsResult: false),
        SettingDefinition(
            name: "checkpoint", type: .record(checkpoint),
            summary: "checkpoints a failed, interrupted or preempted attempt continues from (default every 500 steps, keep 2)", affectsResult: false),
    ]

    private static let byName: [String: SettingDefinition] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.name, $0) })

    public static func definition(named name: String) -> SettingDefinition? { byName[name] }

    /// The settings a stage of `kind` accepts.
    public static func names(for kind: StageKind) -> [String] {
        namesByKind[kind] ?? []
    }

    private static let namesByKind: [StageKind: [String]] = Dictionary(
        uniqueKeysWithValues: StageKind.allCases.map { kind in (kind, all.filter { $0.kinds.contains(kind) }.map(\.name)) })

    /// Settings a stage of `kind` must have after defaults are applied.
    public static func required(for kind: StageKind) -> [String] {
        kind.descriptor.requiredSettings
    }
}

/// The diversity measures of Kirk et al.: syntactic (distinct-n, EAD), semantic
/// (Sentence-BERT) and logical (NLI).
enum DiversityMetric {
    static let allNames = ["distinct-n", "ead", "sentence-bert", "nli"]
}
