/// The table of stage kinds (as swift-driver keeps one table of options): one descriptor per
/// kind, with its inputs, outputs, settings and their defaults, and its runner.
public enum StageKinds {
    /// Every kind reads these.
    private static let everywhere: Set<String> = ["seed", "resources", "retries", "temporary"]
    /// Every built-in kind (a runner) can run with an existing interpreter.
    private static let builtIn = everywhere.union([SettingCatalog.pythonSetting])
    private static let training: Set<String> = [
        "lora", "max_length", "learning_rate", "epochs", "max_steps", "batch_size", "gradient_accumulation_steps", "warmup_ratio",
    ]
    /// Trainers that continue from a checkpoint and train on several processes (TRL 1.12's
    /// PPOTrainer does neither).
    private static let resumable = training.union(["checkpoint", "distributed"])
    /// How every stage that loads a model loads it.
    private static let loading: Set<String> = ["precision", "attention"]
    private static let loadingDefaults: [String: SettingValue] = ["precision": .string("auto"), "attention": .string("sdpa")]
    /// Trainers (and samplers) that can load the base model quantised.
    private static let quantizable: Set<String> = ["quantization"]
    private static let quantizableDefaults: [String: SettingValue] = ["quantization": .string("none")]
    /// Trainers' memory settings.
    private static let trainerMemory = loading.union(["gradient_checkpointing"])
    private static let generation: Set<String> = ["temperature", "max_new_tokens", "max_prompts"]
    private static let trainingDefaults: [String: SettingValue] = [
        "lora.dropout": .double(0), "epochs": .double(1), "batch_size": .int(8), "gradient_accumulation_steps": .int(1),
        "warmup_ratio": .double(0), "seed": .int(0), "gradient_checkpointing": .bool(false),
    ].merging(loadingDefaults) { $1 }
    /// The learning rate and sequence length each trainer uses by default (TRL's configs),
    /// written here so that the index records them.
    private static func trainer(learningRate: Double, maxLength: Int? = 1024) -> [String: SettingValue] {
        var defaults = trainingDefaults
        defaults["learning_rate"] = .double(learningRate)
        if let maxLength { defaults["max_length"] = .int(maxLength) }
        return defaults
    }
    private static let generationDefaults: [String: SettingValue] = ["temperature": .double(0.7), "max_new_tokens": .int(64)]
    /// Stages that run a model over texts in batches.
    private static let scoring: [String: SettingValue] = ["batch_size": .int(8), "max_length": .int(512), "seed": .int(0)]
    private static let prompts: [DatasetFormat] = [.promptOnly, .messages, .promptCompletion, .preference]

    private static func runner(
        _ module: String, environment: String = "runners", underMetrics: Bool = false, perItem: Bool = false, acrossGPUs: Bool = false
    ) -> StageKindDescriptor.Runner {
        StageKindDescriptor.Runner(
            module: module, environment: environment, outputsUnderMetrics: underMetrics, resumesPerItem: perItem, placesModelAcrossGPUs: acrossGPUs)
    }

    public static let table: [StageKindDescriptor] = [
        StageKindDescriptor(
            kind: .sft, summary: "supervised fine-tuning (TRL SFTTrainer, LoRA through PEFT)",
            inputs: [.init(.model), .init(.data, formats: [.messages, .promptCompletion])], outputs: ["model"], modelOutputs: ["model"],
            settings: builtIn.union(resumable).union(trainerMemory).union(quantizable), requiredSettings: [],
            defaults: trainer(learningRate: 2e-5).merging(quantizableDefaults) { $1 }, runner: runner("sft")),
        StageKindDescriptor(
            kind: .reward, summary: "reward modelling on preference pairs (TRL RewardTrainer)",
            inputs: [.init(.model), .init(.data, formats: [.preference]), .init(.evalData, required: false, formats: [.preference])], outputs: ["model"],
            modelOutputs: ["model"], settings: builtIn.union(resumable).union(trainerMemory).union(quantizable), requiredSettings: [],
            defaults: trainer(learningRate: 1e-4).merging(quantizableDefaults) { $1 }, runner: runner("reward")),
        StageKindDescriptor(
            kind: .dpo, summary: "direct preference optimisation (TRL DPOTrainer)",
            inputs: [.init(.model), .init(.data, formats: [.preference]), .init(.referenceModel, required: false)], outputs: ["model"],
            modelOutputs: ["model"], settings: builtIn.union(resumable).union(trainerMemory).union(quantizable).union(["beta"]), requiredSettings: [],
            defaults: trainer(learningRate: 1e-6).merging(["beta": .double(0.1)]) { $1 }.merging(quantizableDefaults) { $1 }, runner: runner("dpo")),
        StageKindDescriptor(
            kind: .ppo, summary: "PPO against a reward model (TRL 1.12 PPOTrainer)",
            inputs: [.init(.model), .init(.rewardModel), .init(.prompts, formats: prompts)], outputs: ["model"], modelOutputs: ["model"],
            settings: builtIn.union(training).union(trainerMemory).union(generation).union(["kl_coef", "ppo_epochs"]), requiredSettings: [],
            // PPO truncates prompts to max_length only when it is given.
            defaults: trainer(learningRate: 3e-6, maxLength: nil).merging(generationDefaults) { $1 }.merging(["kl_coef": .double(0.05), "ppo_epochs": .int(4)])
            { $1 },
            runner: runner("ppo", environment: "ppo")),
        StageKindDescriptor(
            kind: .bon, summary: "best-of-N sampling ranked by a reward model",
            inputs: [.init(.model), .init(.rewardModel), .init(.prompts, formats: prompts)], outputs: ["samples"], modelOutputs: [],
            settings: builtIn.union(generation).union(loading).union(quantizable).union(["n", "samples_per_prompt", "batch_size", "placement"]),
            requiredSettings: [],
            defaults: generationDefaults.merging(["n": .int(16), "samples_per_prompt": .int(1), "batch_size": .int(8), "seed": .int(0)]) { $1 }
                .merging(loadingDefaults) { $1 }.merging(quantizableDefaults) { $1 },
            runner: runner("bon", perItem: true)),
        StageKindDescriptor(
            kind: .generate, summary: "K samples per prompt",
            inputs: [.init(.model), .init(.prompts, formats: prompts)], outputs: ["samples"], modelOutputs: [],
            settings: builtIn.union(generation).union(loading).union(quantizable).union(["samples_per_prompt", "batch_size", "placement"]),
            requiredSettings: [],
            defaults: generationDefaults.merging(["samples_per_prompt": .int(4), "batch_size": .int(8), "seed": .int(0)]) { $1 }
                .merging(loadingDefaults) { $1 }.merging(quantizableDefaults) { $1 },
            runner: runner("generate", perItem: true)),
        StageKindDescriptor(
            kind: .lmEval, summary: "lm-evaluation-harness benchmarks",
            inputs: [.init(.model)], outputs: ["results"], modelOutputs: [],
            settings: builtIn.union(loading).union(["max_length", "batch_size", "tasks", "num_fewshot", "limit", "task_dir"]), requiredSettings: ["tasks"],
            defaults: ["batch_size": .int(1)].merging(loadingDefaults) { $1 }, runner: runner("lm_eval", perItem: true, acrossGPUs: true)),
        StageKindDescriptor(
            kind: .diversity, summary: "output diversity: distinct-n, EAD, Sentence-BERT, NLI",
            inputs: [.init(.samples)], outputs: ["metrics"], modelOutputs: [], settings: builtIn.union(["metrics", "nli_model"]),
            requiredSettings: [], defaults: ["metrics": .list([.string("distinct-n"), .string("ead")]), "seed": .int(0)],
            runner: runner("diversity", underMetrics: true, perItem: true)),
        StageKindDescriptor(
            kind: .judge, summary: "win rate against a baseline, by a reward model or an OpenAI-compatible endpoint",
            inputs: [.init(.samples), .init(.baseline), .init(.judgeModel, required: false)], outputs: ["metrics"], modelOutputs: [],
            settings: builtIn.union(loading).union(["judge", "judge_prompt", "endpoint_model"]), requiredSettings: [],
            defaults: ["judge": .string("reward-model"), "judge_prompt": .string("summary"), "seed": .int(0)].merging(loadingDefaults) { $1 },
            runner: runner("judge", underMetrics: true, perItem: true)),
        StageKindDescriptor(
            kind: .linguistic, summary: "linguistic features: sentence length, sentiment, part of speech, lemmas",
            inputs: [.init(.data, required: false), .init(.samples, required: false)], outputs: ["metrics"], modelOutputs: [],
            settings: builtIn.union(["features"]), requiredSettings: [],
            defaults: ["features": .list(["length", "sentiment", "pos", "lemmas"].map(SettingValue.string)), "seed": .int(0)],
            runner: runner("linguistic", underMetrics: true)),
        StageKindDescriptor(
            kind: .safety,
            summary: "safety per demographic group: scaled perplexity on toxic and benign statements (Hosseini et al. 2023)",
            inputs: [.init(.model), .init(.data, formats: [.statements])], outputs: ["metrics"], modelOutputs: [],
            settings: builtIn.union(loading).union(["batch_size", "max_length", "groups"]), requiredSettings: [],
            defaults: scoring.merging(loadingDefaults) { $1 }, runner: runner("safety", underMetrics: true)),
        StageKindDescriptor(
            kind: .score, summary: "the reward model's score of every sample", inputs: [.init(.samples), .init(.rewardModel)],
            outputs: ["scores"], modelOutputs: [], settings: builtIn.union(loading).union(["batch_size", "max_length"]), requiredSettings: [],
            defaults: scoring.merging(loadingDefaults) { $1 }, runner: runner("score")),
        StageKindDescriptor(
            kind: .relate,
            summary: "rank correlation between inputs' linguistic distance from the fine-tuning data and the reward of the outputs",
            inputs: [.init(.data, formats: [.promptOnly, .messages, .promptCompletion, .preference]), .init(.scores)], outputs: ["metrics"],
            modelOutputs: [], settings: builtIn.union(["features", "resamples"]), requiredSettings: [],
            defaults: ["features": .list(["length", "sentiment", "pos", "lemmas"].map(SettingValue.string)), "resamples": .int(1000), "seed": .int(0)],
            runner: runner("relate", underMetrics: true)),
        StageKindDescriptor(
            kind: .merge, summary: "a LoRA chain merged into a full model", inputs: [.init(.model)], outputs: ["model"],
            modelOutputs: ["model"], settings: builtIn.union(loading), requiredSettings: [], defaults: ["seed": .int(0)].merging(loadingDefaults) { $1 },
            runner: runner("merge")),
        StageKindDescriptor(
            kind: .tinyModel, summary: "a deterministic tiny Llama and reward model, built from a config", inputs: [],
            outputs: ["model", "reward_model"], modelOutputs: ["model", "reward_model"], settings: builtIn, requiredSettings: [],
            defaults: ["seed": .int(0)], runner: runner("tiny_model")),
        StageKindDescriptor(
            kind: .command, summary: "any program, or a shell line", inputs: [], outputs: ["output"], modelOutputs: [], settings: everywhere,
            requiredSettings: [], defaults: [:], runner: nil),
    ]

    private static let byKind: [StageKind: StageKindDescriptor] = Dictionary(uniqueKeysWithValues: table.map { ($0.kind, $0) })

    /// The descriptor of a kind; every kind has one (a test checks the table is complete).
    public static func descriptor(_ kind: StageKind) -> StageKindDescriptor {
        byKind[kind]
            ?? StageKindDescriptor(
                kind: kind, summary: "", inputs: [], outputs: [], modelOutputs: [], settings: everywhere, requiredSettings: [], defaults: [:],
                runner: nil)
    }

    /// The kinds that read a setting.
    public static func kinds(reading setting: String) -> Set<StageKind> {
        Set(table.filter { $0.settings.contains(setting) }.map(\.kind))
    }
}
