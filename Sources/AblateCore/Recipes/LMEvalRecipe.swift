/// lm-evaluation-harness on a model, writing its results JSON under the task's outputs.
struct LMEvalRecipe: Recipe {
    var environment: String { "lm-eval" }

    func arguments(for context: RecipeContext) -> [CommandArgument] {
        var arguments: [CommandArgument] = ["python", "-m", "lm_eval", "--model", "hf"]
        if let model = context.inputs[.model] {
            var modelArguments = CommandArgument.literal("pretrained=") + model.argument
            if let maxLength = context.setting("max_length") {
                modelArguments = modelArguments + .literal(",max_length=\(maxLength.text)")
            }
            arguments += ["--model_args", modelArguments]
        }
        if case .list(let tasks)? = context.setting("tasks") {
            arguments += ["--tasks", .literal(tasks.map(\.text).joined(separator: ","))]
        }
        arguments += context.flag("--num_fewshot", "num_fewshot")
        arguments += context.flag("--batch_size", "batch_size")
        arguments += context.flag("--limit", "limit")
        arguments += context.flag("--seed", "seed")
        arguments += context.pathFlag("--include_path", "task_dir")
        arguments += ["--output_path", .output("results"), "--log_samples"]
        return arguments
    }
}
