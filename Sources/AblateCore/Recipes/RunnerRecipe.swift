/// A stage run by one of ablate's Python stage runners, `python -m ablate_runners.MODULE`:
/// every input role becomes `--role PATH` (datasets other than samples add `--role-format`,
/// `--role-split`, `--role-subset` and `--role-sample`), every setting that shapes the result becomes a flag
/// (`max_new_tokens` → `--max-new-tokens`, `lora.r` → `--lora-r`), and `--output` names the
/// task's output directory. A trainer with several GPUs or nodes, and a sampler sharing its
/// batches over several GPUs, runs under the launcher,
/// `python -m ablate_runners.launch --nodes N --processes-per-node P MODULE …`: one process per GPU.
struct RunnerRecipe: Recipe {
    var runner: StageKindDescriptor.Runner

    var environment: String { runner.environment }

    func arguments(for context: RecipeContext) -> [CommandArgument] {
        var arguments: [CommandArgument] = ["-m"]
        if let processes = context.kind.descriptor.launchedProcesses(context.resources, settings: context.settings) {
            arguments += [
                "ablate_runners.launch", "--nodes", .literal(String(context.resources.nodes)), "--processes-per-node", .literal(String(processes)),
                .literal(runner.module),
            ]
        } else {
            arguments.append(.literal("ablate_runners.\(runner.module)"))
        }
        for role in context.kind.inputRoles {
            guard let input = context.inputs[role] else { continue }
            let flag = "--" + Self.flagName(role.rawValue)
            arguments += [.literal(flag), input.argument]
            if let dataset = input.dataset, role.readsDataset {
                arguments += [.literal(flag + "-format"), .literal(dataset.format.rawValue), .literal(flag + "-split"), .literal(dataset.split)]
                if let subset = dataset.subset { arguments += [.literal(flag + "-subset"), .literal(subset)] }
                if let sample = dataset.sample { arguments += [.literal(flag + "-sample"), .literal(String(sample))] }
                if !dataset.columns.isEmpty {
                    arguments.append(.literal(flag + "-columns"))
                    arguments += dataset.columns.sorted { $0.key.rawValue < $1.key.rawValue }.map { .literal($0.key.rawValue + "=" + $0.value) }
                }
                if let template = dataset.template { arguments += [.literal(flag + "-template"), .literal(template)] }
            }
        }
        for name in context.settings.keys.sorted() where Self.isPassed(name) {
            guard let value = context.settings[name] else { continue }
            arguments += Self.flags(name, value, SettingCatalog.definition(named: name))
        }
        arguments += ["--output", runner.outputsUnderMetrics ? .output("metrics") : CommandArgument([.outputDirectory])]
        return arguments
    }

    /// Settings that change how a task runs (resources, retries) or what runs it (`python`)
    /// are ablate's own business, not the runner's.
    static func isPassed(_ name: String) -> Bool {
        name != SettingCatalog.pythonSetting && SettingCatalog.definition(named: name)?.affectsResult ?? false
    }

    /// The flags of one setting (`definition` says which strings are paths); a record's fields
    /// become `--name-field`.
    private static func flags(_ name: String, _ value: SettingValue, _ definition: SettingDefinition?) -> [CommandArgument] {
        let flag = CommandArgument.literal("--" + flagName(name))
        switch value {
        case .list(let items): return [flag] + items.map { .literal($0.text) }
        case .map(let fields):
            return fields.keys.sorted().flatMap { field in
                fields[field].map { flags(name + "_" + field, $0, definition?.type.field(named: field)) } ?? []
            }
        case .string(let text) where definition?.type.isPath == true:
            return [flag, CommandArgument([.localPath(text)])]
        default: return [flag, .literal(value.text)]
        }
    }

    static func flagName(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 == UInt8(ascii: "_") ? UInt8(ascii: "-") : $0 }, as: UTF8.self)
    }
}
