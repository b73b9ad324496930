/// A stage run by ablate's own Python stage runners (`python -m ablate_runners.KIND`), for the
/// kinds no standard tool covers: PPO on TRL 1.12, best-of-N, sampling, diversity, judging and
/// linguistic analysis.
struct RunnerRecipe: Recipe {
    var module: String
    var environment: String

    func arguments(for context: RecipeContext) -> [CommandArgument] {
        var arguments: [CommandArgument] = ["python", "-m", .literal("ablate_runners.\(module)")]
        for role in context.kind.inputRoles {
            arguments += context.inputFlag("--" + role.rawValue.replacingOccurrences(of: "_", with: "-"), role)
        }
        for name in context.settings.keys.sorted() {
            guard let value = context.settings[name] else { continue }
            let flag = CommandArgument.literal("--" + name.replacingOccurrences(of: "_", with: "-"))
            switch value {
            case .list(let items): arguments += [flag] + items.map { .literal($0.text) }
            case .map(let fields):
                for field in fields.keys.sorted() {
                    arguments += [.literal("--\(name)-\(field)".replacingOccurrences(of: "_", with: "-")), .literal(fields[field]?.text ?? "")]
                }
            default: arguments += [flag, .literal(value.text)]
            }
        }
        arguments += ["--output", .output(context.kind.outputs.first ?? "output")]
        return arguments
    }
}
