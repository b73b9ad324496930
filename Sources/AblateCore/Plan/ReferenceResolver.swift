/// Resolves `${…}` references for one variant: sweep values, other stages' task outputs,
/// registry models and datasets.
struct ReferenceResolver {
    let spec: Spec
    /// The variants the stage is resolved for: one, or every variant a gathering stage
    /// collects. Their values agree on every axis the stage depends on.
    let members: [Member]
    let tasks: [PlannedTask]

    /// A variant and the outcomes of the stages already resolved in it.
    struct Member {
        var variant: Variant
        var outcome: (String) -> PlanCompiler.StageOutcome?
    }

    /// Whether the stage gathers across axes: its stage references then stand for every
    /// task they name across `members`.
    let gathering: Bool

    var variant: Variant { members[0].variant }

    /// What a reference stands for in this variant.
    enum Value {
        case axis(SettingValue)
        case taskOutput(task: String, output: String)
        case model(ModelEntry)
        case dataset(DatasetEntry)
        case ownOutput(String)
        case file(FileEntry)
        /// A gathering stage's reference: the output of every task it collects.
        case taskOutputs([(task: String, output: String)])
    }

    /// The result of resolving an expression with alternatives.
    enum Resolution {
        case value(Value)
        /// Every alternative names a stage left out of this variant.
        case absent(stages: [String])
        /// A referenced stage could not be resolved (already reported).
        case failed
    }

    func axisValue(_ axis: String) -> SettingValue? {
        guard let index = spec.sweep.axes.firstIndex(where: { $0.name == axis }) else { return nil }
        return variant.values[index]
    }

    var variantName: String { variant.name(axes: spec.sweep.axisNames) }

    /// `when:` holds and `unless:` does not.
    func isActive(_ stage: StageSpec) -> Bool {
        func matches(_ conditions: [Condition]) -> Bool {
            conditions.allSatisfy { condition in
                axisValue(condition.axis).map { condition.values.contains($0) } ?? false
            }
        }
        if !stage.when.isEmpty, !matches(stage.when) { return false }
        if !stage.unless.isEmpty, matches(stage.unless) { return false }
        return true
    }

    func resolve(_ expression: ReferenceExpression) -> Resolution {
        var absentStages: [String] = []
        for reference in expression.alternatives {
            switch reference {
            case .sweep(let axis):
                guard let value = axisValue(axis) else { continue }
                return .value(.axis(value))
            case .model(let name):
                guard let model = spec.model(named: name) else { continue }
                return .value(.model(model))
            case .dataset(let name):
                guard let dataset = spec.dataset(named: name) else { continue }
                return .value(.dataset(dataset))
            case .output(let name):
                return .value(.ownOutput(name))
            case .file(let name):
                guard let file = spec.file(named: name) else { continue }
                return .value(.file(file))
            case .stage(let name, let output):
                if gathering { return gathered(expression) }
                switch members[0].outcome(name) {
                case .task(let index)?: return .value(.taskOutput(task: tasks[index].id, output: output))
                case .absent?: absentStages.append(name)
                case .failed?, nil: return .failed
                }
            }
        }
        return .absent(stages: absentStages)
    }

    /// A gathering stage's reference: for each gathered variant, the first alternative that
    /// is a task there; every task once, in variant order.
    private func gathered(_ expression: ReferenceExpression) -> Resolution {
        var collected: [(task: String, output: String)] = []
        // A sweep's worth of tasks: looked up in a set, not among those collected.
        var collectedIDs: Set<String> = []
        var absentStages: [String] = []
        for member in members {
            memberLoop: for case .stage(let name, let output) in expression.alternatives {
                switch member.outcome(name) {
                case .task(let index)?:
                    let id = tasks[index].id
                    if collectedIDs.insert(id).inserted { collected.append((id, output)) }
                    break memberLoop
                case .absent?:
                    if !absentStages.contains(name) { absentStages.append(name) }
                case .failed?, nil:
                    return .failed
                }
            }
        }
        return collected.isEmpty ? .absent(stages: absentStages) : .value(.taskOutputs(collected))
    }

    /// Reports an expression whose stages are all left out of this variant.
    func reportAbsent(_ expression: ReferenceExpression, stages: [String], in stage: StageSpec, _ diagnostics: inout DiagnosticLog) {
        let fallback = spec.models.first.map { "models.\($0.name)" } ?? "models.NAME"
        diagnostics.error(
            at: expression.location,
            "stage '\(stage.name)' uses \(expression), but \(stages.map { "'\($0)'" }.joined(separator: " and ")) \(stages.count == 1 ? "is" : "are") left out of variant \(variantName) by 'when:'/'unless:'; add a fallback such as '${\(expression.alternatives.map(\.description).joined(separator: " ?? ")) ?? \(fallback)}', or leave '\(stage.name)' out of that variant too"
        )
    }

    /// The stage's inputs for this variant, checked against what each role accepts.
    func inputs(of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> [InputRole: ResolvedInput]? {
        var inputs: [InputRole: ResolvedInput] = [:]
        var complete = true
        for role in stage.kind.inputRoles {
            guard let template = stage.inputs[role] else { continue }
            guard let input = input(role, template, of: stage, &diagnostics) else {
                complete = false
                continue
            }
            inputs[role] = input
        }
        return complete ? inputs : nil
    }

    private func input(_ role: InputRole, _ template: Template, of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> ResolvedInput? {
        let resolved: Value
        if let literal = template.literalText {
            switch role.target {
            case .model: guard let model = spec.model(named: literal) else { return nil }; resolved = .model(model)
            case .data: guard let dataset = spec.dataset(named: literal) else { return nil }; resolved = .dataset(dataset)
            }
        } else if let expression = template.wholeReference {
            switch resolve(expression) {
            case .value(let value): resolved = value
            case .absent(let stages):
                reportAbsent(expression, stages: stages, in: stage, &diagnostics)
                return nil
            case .failed: return nil
            }
        } else {
            return nil
        }
        switch resolved {
        case .model(let model): return .model(model)
        case .taskOutput(let task, let output): return .taskOutput(task: task, output: output)
        case .file(let file):
            diagnostics.error(
                at: template.location,
                "'\(role.rawValue)' of stage '\(stage.name)' expects \(role.target == .model ? "a model" : "data"), but '${files.\(file.name)}' is a file; declare it under '\(role.target == .model ? "models" : "datasets"):'"
            )
            return nil
        case .ownOutput:
            diagnostics.error(at: template.location, "'\(role.rawValue)' of stage '\(stage.name)' cannot be the stage's own output")
            return nil
        case .taskOutputs:
            diagnostics.error(at: template.location, "'\(role.rawValue)' of stage '\(stage.name)' takes one input, not a gathered list")
            return nil
        case .dataset(let dataset):
            return checked(dataset, for: role, of: stage, at: template.location, &diagnostics)
        case .axis(let value):
            // `data: ${sweep.sft_data}`: the axis value names a registry entry.
            let name = value.text
            switch role.target {
            case .model:
                if let model = spec.model(named: name) { return .model(model) }
            case .data:
                if let dataset = spec.dataset(named: name) {
                    return checked(dataset, for: role, of: stage, at: template.location, &diagnostics)
                }
            }
            let registry = role.target == .model ? spec.models.map(\.name) : spec.datasets.map(\.name)
            diagnostics.error(
                at: template.location,
                "'\(role.rawValue)' of stage '\(stage.name)' takes the value '\(name.truncatedForMessage)' from the sweep, but no \(role.target == .model ? "model" : "dataset") has that name\(Suggestion.hint(for: name, in: registry).nonEmpty ?? "; declare it under '\(role.target == .model ? "models" : "datasets"):' or leave the stage out of that variant with 'when:'")"
            )
            return nil
        }
    }

    private func checked(
        _ dataset: DatasetEntry, for role: InputRole, of stage: StageSpec, at location: SourceLocation,
        _ diagnostics: inout DiagnosticLog
    ) -> ResolvedInput? {
        if let formats = stage.kind.descriptor.formats(for: role), !formats.contains(dataset.format) {
            diagnostics.error(
                at: location,
                "stage '\(stage.name)' (kind '\(stage.kind.rawValue)') needs \(formats.map(\.rawValue).quotedList) data for '\(role.rawValue)', but dataset '\(dataset.name)' is '\(dataset.format.rawValue)' (in variant \(variantName)); pick another dataset or fix its 'format:'"
            )
            return nil
        }
        return .dataset(dataset)
    }

    /// A template as one command argument: sweep values and registry ids as text, stage
    /// outputs and local files as symbolic paths.
    func argument(_ template: Template, in stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> CommandArgument? {
        var parts: [CommandArgument.Part] = []
        for part in template.parts {
            switch part {
            case .literal(let text): parts.append(.literal(text))
            case .reference(let expression):
                switch resolve(expression) {
                case .value(let value): parts += value.argument.parts
                case .absent(let stages):
                    reportAbsent(expression, stages: stages, in: stage, &diagnostics)
                    return nil
                case .failed: return nil
                }
            }
        }
        return CommandArgument(parts)
    }
}

extension ReferenceResolver.Value {
    var argument: CommandArgument {
        switch self {
        case .axis(let value): return .literal(value.text)
        case .taskOutput(let task, let output): return ResolvedInput.taskOutput(task: task, output: output).argument
        case .model(let model): return ResolvedInput.model(model).argument
        case .dataset(let dataset): return ResolvedInput.dataset(dataset).argument
        case .ownOutput(let name): return .output(name)
        case .file(let file): return CommandArgument([.localPath(file.path)])
        case .taskOutputs(let outputs):
            // One argument holding every path, one per line (for `inputs:` and `run:` lines).
            var parts: [CommandArgument.Part] = []
            for (index, output) in outputs.enumerated() {
                if index > 0 { parts.append(.literal("\n")) }
                parts.append(.taskOutput(task: output.task, output: output.output))
            }
            return CommandArgument(parts)
        }
    }
}
