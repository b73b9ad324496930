/// One setting a stage (or the spec's `defaults:`) can carry.
public struct SettingDefinition: Sendable {
    public var name: String
    public var type: SettingType
    /// The stage kinds that read this setting; `defaults:` apply it to these kinds only.
    public var kinds: Set<StageKind>
    public var summary: String
    /// Whether the setting changes what a task produces. Resources and retries change how a
    /// task runs, not its result, so they stay out of its fingerprint.
    public var affectsResult: Bool = true
}

/// Every setting the spec language knows, with its type and the kinds that read it.
public enum SettingCatalog {
    static let training: Set<StageKind> = [.sft, .reward, .dpo, .ppo]
    static let sampling: Set<StageKind> = [.ppo, .bon, .generate]
    static let allKinds = Set(StageKind.allCases)
    /// The setting that points a stage at an existing interpreter.
    static let pythonSetting = "python"

    public static let lora: [SettingDefinition] = [
        SettingDefinition(name: "r", type: .positiveInteger, kinds: training, summary: "LoRA rank"),
        SettingDefinition(name: "alpha", type: .positiveNumber, kinds: training, summary: "LoRA scaling factor"),
        SettingDefinition(name: "dropout", type: .fraction, kinds: training, summary: "LoRA dropout"),
        SettingDefinition(name: "target_modules", type: .stringList, kinds: training, summary: "modules LoRA adapts"),
        SettingDefinition(name: "enabled", type: .bool, kinds: training, summary: "train LoRA adapters (true) or all weights (false)"),
    ]

    public static let resources: [SettingDefinition] = [
        SettingDefinition(name: "gpus", type: .nonNegativeInteger, kinds: allKinds, summary: "GPUs the task needs"),
        SettingDefinition(name: "cpus", type: .positiveInteger, kinds: allKinds, summary: "CPU cores the task needs"),
        SettingDefinition(name: "memory", type: .memory, kinds: allKinds, summary: "memory the task needs (64G)"),
        SettingDefinition(name: "time", type: .duration, kinds: allKinds, summary: "time limit (8h, 90m)"),
    ]

    public static let all: [SettingDefinition] = [
        SettingDefinition(name: "lora", type: .record(lora), kinds: training, summary: "LoRA adapter settings (PEFT)"),
        SettingDefinition(name: "max_length", type: .positiveInteger, kinds: training.union([.lmEval]), summary: "maximum sequence length in tokens"),
        SettingDefinition(name: "learning_rate", type: .positiveNumber, kinds: training, summary: "optimizer learning rate"),
        SettingDefinition(name: "epochs", type: .positiveNumber, kinds: training, summary: "training epochs"),
        SettingDefinition(name: "max_steps", type: .positiveInteger, kinds: training, summary: "training steps (overrides epochs)"),
        SettingDefinition(name: "batch_size", type: .positiveInteger, kinds: training.union([.bon, .generate, .lmEval]), summary: "per-device batch size"),
        SettingDefinition(name: "gradient_accumulation_steps", type: .positiveInteger, kinds: training, summary: "steps accumulated per optimizer step"),
        SettingDefinition(name: "warmup_ratio", type: .fraction, kinds: training, summary: "share of steps spent warming up the learning rate"),
        SettingDefinition(name: "beta", type: .positiveNumber, kinds: [.dpo], summary: "DPO temperature beta"),
        SettingDefinition(name: "kl_coef", type: .positiveNumber, kinds: [.ppo], summary: "PPO KL penalty coefficient"),
        SettingDefinition(name: "ppo_epochs", type: .positiveInteger, kinds: [.ppo], summary: "PPO optimisation epochs over each batch of rollouts"),
        SettingDefinition(name: "seed", type: .nonNegativeInteger, kinds: allKinds, summary: "random seed"),
        SettingDefinition(name: "temperature", type: .nonNegativeNumber, kinds: sampling, summary: "sampling temperature"),
        SettingDefinition(name: "max_new_tokens", type: .positiveInteger, kinds: sampling, summary: "tokens generated per sample"),
        SettingDefinition(name: "n", type: .positiveInteger, kinds: [.bon], summary: "candidates per prompt for best-of-N"),
        SettingDefinition(
            name: "samples_per_prompt", type: .positiveInteger, kinds: [.generate, .bon], summary: "samples per prompt (K; for best-of-N, each the best of n)"),
        SettingDefinition(name: "max_prompts", type: .positiveInteger, kinds: [.ppo, .bon, .generate], summary: "prompts to use from the prompt set"),
        SettingDefinition(name: "tasks", type: .stringList, kinds: [.lmEval], summary: "lm-evaluation-harness task names"),
        SettingDefinition(name: "num_fewshot", type: .nonNegativeInteger, kinds: [.lmEval], summary: "few-shot examples per item"),
        SettingDefinition(name: "limit", type: .positiveInteger, kinds: [.lmEval], summary: "items per task (for quick runs)"),
        SettingDefinition(name: "task_dir", type: .path, kinds: [.lmEval], summary: "directory of local task YAMLs (--include_path)"),
        SettingDefinition(name: "metrics", type: .choiceList(DiversityMetric.allNames), kinds: [.diversity], summary: "diversity metrics to compute"),
        SettingDefinition(name: "nli_model", type: .string, kinds: [.diversity], summary: "NLI model for logical diversity"),
        SettingDefinition(
            name: "judge", type: .choice(["reward-model", "endpoint"]), kinds: [.judge], summary: "who judges: a reward model or an OpenAI-compatible endpoint"),
        SettingDefinition(name: "judge_prompt", type: .choice(["summary", "instruction"]), kinds: [.judge], summary: "the ranking prompt to use"),
        SettingDefinition(name: "endpoint_model", type: .string, kinds: [.judge], summary: "model name at the judge endpoint"),
        SettingDefinition(
            name: "features", type: .choiceList(["length", "sentiment", "pos", "lemmas"]), kinds: [.linguistic], summary: "linguistic features to measure"),
        SettingDefinition(
            name: pythonSetting, type: .string, kinds: allKinds.subtracting([.command]),
            summary: "an existing Python (path or name on PATH) to run the stage with, instead of ablate's managed environment"),
        SettingDefinition(name: "resources", type: .record(resources), kinds: allKinds, summary: "resources the task needs", affectsResult: false),
        SettingDefinition(name: "retries", type: .nonNegativeInteger, kinds: allKinds, summary: "times a failed task is retried", affectsResult: false),
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
        kind == .lmEval ? ["tasks"] : []
    }
}

/// The diversity measures of Kirk et al.: syntactic (distinct-n, EAD), semantic
/// (Sentence-BERT) and logical (NLI).
enum DiversityMetric {
    static let allNames = ["distinct-n", "ead", "sentence-bert", "nli"]
}
