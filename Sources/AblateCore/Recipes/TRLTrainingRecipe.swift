/// SFT, reward modelling and DPO through TRL's own trainer scripts, with LoRA through PEFT.
struct TRLTrainingRecipe: Recipe {
    var environment: String { "trl" }

    func arguments(for context: RecipeContext) -> [CommandArgument] {
        let script: String
        switch context.kind {
        case .reward: script = "reward"
        case .dpo: script = "dpo"
        default: script = "sft"
        }
        var arguments: [CommandArgument] = ["python", "-m", .literal("trl.scripts.\(script)")]
        arguments += context.inputFlag("--model_name_or_path", .model)
        arguments += context.inputFlag("--dataset_name", .data)
        if let dataset = context.inputs[.data]?.dataset {
            if let subset = dataset.subset { arguments += ["--dataset_config", .literal(subset)] }
            arguments += ["--dataset_train_split", .literal(dataset.split)]
        }
        arguments += context.inputFlag("--ref_model", .referenceModel)
        arguments += ["--output_dir", .output("adapter")]
        arguments += loraArguments(context)
        arguments += context.flag("--max_length", "max_length")
        arguments += context.flag("--learning_rate", "learning_rate")
        arguments += context.flag("--num_train_epochs", "epochs")
        arguments += context.flag("--max_steps", "max_steps")
        arguments += context.flag("--per_device_train_batch_size", "batch_size")
        arguments += context.flag("--gradient_accumulation_steps", "gradient_accumulation_steps")
        arguments += context.flag("--warmup_ratio", "warmup_ratio")
        arguments += context.flag("--beta", "beta")
        arguments += context.flag("--seed", "seed")
        arguments += ["--report_to", "none"]
        return arguments
    }

    private func loraArguments(_ context: RecipeContext) -> [CommandArgument] {
        if case .bool(false)? = context.lora("enabled") { return [] }
        guard context.setting("lora") != nil else { return [] }
        var arguments: [CommandArgument] = ["--use_peft"]
        for (flag, field) in [("--lora_r", "r"), ("--lora_alpha", "alpha"), ("--lora_dropout", "dropout")] {
            if let value = context.lora(field) { arguments += [.literal(flag), .literal(value.text)] }
        }
        if case .list(let modules)? = context.lora("target_modules"), !modules.isEmpty {
            arguments += ["--lora_target_modules"] + modules.map { .literal($0.text) }
        }
        if context.kind == .reward {
            // The reward model is a sequence classifier: PEFT must add and train a score head.
            arguments += ["--lora_task_type", "SEQ_CLS"]
        }
        return arguments
    }
}
