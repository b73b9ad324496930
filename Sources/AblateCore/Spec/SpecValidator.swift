/// Checks what no single key can: references between parts of the spec, conditions on the
/// sweep, and cycles between stages.
struct SpecValidator {
    let spec: Spec

    func validate(_ diagnostics: inout DiagnosticLog) {
        for stage in spec.stages {
            checkReferences(of: stage, &diagnostics)
            checkRoles(of: stage, &diagnostics)
            checkConditions(stage.when + stage.unless, of: stage, &diagnostics)
            checkGather(of: stage, &diagnostics)
        }
        if let cycle = StageGraph(spec: spec).cycle() {
            let stage = spec.stage(named: cycle[0])
            diagnostics.error(
                at: stage?.location ?? .start(of: spec.file),
                "the stages depend on each other in a cycle: \(cycle.joined(separator: " -> ")); break it by removing one of these references")
        }
    }

    private func checkReferences(of stage: StageSpec, _ diagnostics: inout DiagnosticLog) {
        for template in stage.allTemplates {
            for expression in template.references {
                for reference in expression.alternatives {
                    check(reference, in: stage, at: expression.location, &diagnostics)
                }
            }
        }
    }

    private func check(_ reference: Reference, in stage: StageSpec, at location: SourceLocation, _ diagnostics: inout DiagnosticLog) {
        switch reference {
        case .sweep(let axis):
            if spec.sweep.axis(named: axis) == nil {
                let known = spec.sweep.axisNames
                let help =
                    known.isEmpty ? "; the spec has no 'sweep:' axes" : Suggestion.hint(for: axis, in: known).nonEmpty ?? "; the axes are \(known.quotedList)"
                diagnostics.error(at: location, "'${sweep.\(axis)}' names an axis the sweep does not declare\(help)")
            }
        case .stage(let name, let output):
            guard let target = spec.stage(named: name) else {
                let help = Suggestion.hint(for: name, in: spec.stages.map(\.name)).nonEmpty ?? "; the stages are \(spec.stages.map(\.name).quotedList)"
                diagnostics.error(at: location, "'${stages.\(name).\(output)}' names a stage that does not exist\(help)")
                return
            }
            if name == stage.name {
                diagnostics.error(
                    at: location, "stage '\(name)' refers to its own output '${stages.\(name).\(output)}'; a stage can only use other stages' outputs")
            } else if !target.outputNames.contains(output) {
                let help = Suggestion.hint(for: output, in: target.outputNames).nonEmpty ?? "; it has \(target.outputNames.quotedList)"
                diagnostics.error(at: location, "stage '\(name)' (kind '\(target.kind.rawValue)') has no output '\(output)'\(help)")
            }
        case .model(let name):
            if spec.model(named: name) == nil {
                diagnostics.error(
                    at: location, "'${models.\(name)}' names a model that 'models:' does not declare\(Suggestion.hint(for: name, in: spec.models.map(\.name)))")
            }
        case .output(let name):
            if !stage.outputNames.contains(name) {
                diagnostics.error(
                    at: location,
                    "stage '\(stage.name)' has no output '\(name)'\(Suggestion.hint(for: name, in: stage.outputNames).nonEmpty ?? "; its outputs are \(stage.outputNames.quotedList)")"
                )
            }
        case .file(let name):
            if spec.file(named: name) == nil {
                let help =
                    Suggestion.hint(for: name, in: spec.files.map(\.name)).nonEmpty
                    ?? "; declare it under 'files:', e.g. 'files: {\(name): scripts/\(name).py}'"
                diagnostics.error(at: location, "'${files.\(name)}' names a file that 'files:' does not declare\(help)")
            }
        case .dataset(let name):
            if spec.dataset(named: name) == nil {
                diagnostics.error(
                    at: location,
                    "'${datasets.\(name)}' names a dataset that 'datasets:' does not declare\(Suggestion.hint(for: name, in: spec.datasets.map(\.name)))")
            }
        }
    }

    /// Literal role values must name registry entries, and references must point at the right
    /// sort of thing (a model where a model is expected).
    private func checkRoles(of stage: StageSpec, _ diagnostics: inout DiagnosticLog) {
        for (role, template) in stage.inputs {
            if let literal = template.literalText {
                checkRegistryName(literal, role: role, stage: stage, at: template.location, &diagnostics)
                continue
            }
            guard let expression = template.wholeReference else {
                diagnostics.error(
                    at: template.location, "'\(role.rawValue)' of stage '\(stage.name)' must be one name or one '${…}' reference, not text around a reference")
                continue
            }
            for reference in expression.alternatives {
                switch (role.target, reference) {
                case (.model, .dataset(let name)):
                    diagnostics.error(
                        at: template.location, "'\(role.rawValue)' of stage '\(stage.name)' expects a model, but '${datasets.\(name)}' is a dataset")
                case (.data, .model(let name)):
                    diagnostics.error(at: template.location, "'\(role.rawValue)' of stage '\(stage.name)' expects data, but '${models.\(name)}' is a model")
                case (.model, .stage(let name, let output))
                where spec.stage(named: name).map { $0.kind != .command && !$0.kind.modelOutputs.contains(output) } ?? false:
                    if let target = spec.stage(named: name), target.outputNames.contains(output) {
                        let fix =
                            target.outputNames.contains("model")
                            ? "use '${stages.\(name).model}'" : "stage '\(name)' (kind '\(target.kind.rawValue)') produces no model"
                        diagnostics.error(
                            at: template.location,
                            "'\(role.rawValue)' of stage '\(stage.name)' expects a model, but '${stages.\(name).\(output)}' is not one; \(fix)")
                    }
                case (.data, .stage(let name, let output)) where output != role.stageOutput && spec.stage(named: name)?.kind != .command:
                    if spec.stage(named: name)?.outputNames.contains(output) == true {
                        let (noun, fix) = role == .scores ? ("scores", "a 'score' stage's scores") : ("data", "a 'generate' or 'bon' stage's samples")
                        diagnostics.error(
                            at: template.location,
                            "'\(role.rawValue)' of stage '\(stage.name)' expects \(noun), but '${stages.\(name).\(output)}' is not \(noun); use \(fix)")
                    }
                default:
                    break
                }
            }
        }
    }

    private func checkRegistryName(_ name: String, role: InputRole, stage: StageSpec, at location: SourceLocation, _ diagnostics: inout DiagnosticLog) {
        switch role.target {
        case .model where spec.model(named: name) == nil:
            let help =
                Suggestion.hint(for: name, in: spec.models.map(\.name)).nonEmpty
                ?? "; declare it under 'models:' (e.g. '\(name): {hub: ORG/NAME}') or refer to a stage with '${stages.NAME.model}'"
            diagnostics.error(
                at: location,
                "'\(role.rawValue)' of stage '\(stage.name)' names the model '\(name.truncatedForMessage)', which 'models:' does not declare\(help)")
        case .data where spec.dataset(named: name) == nil:
            let help =
                Suggestion.hint(for: name, in: spec.datasets.map(\.name)).nonEmpty
                ?? "; declare it under 'datasets:' or refer to a sweep axis with '${sweep.AXIS}'"
            diagnostics.error(
                at: location,
                "'\(role.rawValue)' of stage '\(stage.name)' names the dataset '\(name.truncatedForMessage)', which 'datasets:' does not declare\(help)")
        default:
            break
        }
    }

    /// A gathering stage collects across its axes, so it cannot also depend on one value of them.
    private func checkGather(of stage: StageSpec, _ diagnostics: inout DiagnosticLog) {
        guard !stage.gather.isEmpty else { return }
        let location = stage.gatherLocation ?? stage.location
        for axis in stage.gather where spec.sweep.axis(named: axis) == nil {
            let help = Suggestion.hint(for: axis, in: spec.sweep.axisNames).nonEmpty ?? "; the axes are \(spec.sweep.axisNames.quotedList)"
            diagnostics.error(at: location, "stage '\(stage.name)' gathers the axis '\(axis)', which the sweep does not declare\(help)")
        }
        let gathered = Set(stage.gather)
        for template in stage.allTemplates {
            for expression in template.references {
                for case .sweep(let axis) in expression.alternatives where gathered.contains(axis) {
                    diagnostics.error(
                        at: expression.location,
                        "stage '\(stage.name)' gathers '\(axis)', so it has no single value of it; remove '${sweep.\(axis)}' or stop gathering '\(axis)'")
                }
            }
        }
        for condition in stage.when + stage.unless where gathered.contains(condition.axis) {
            diagnostics.error(at: condition.location, "stage '\(stage.name)' gathers '\(condition.axis)', so it cannot test it in 'when:'/'unless:'")
        }
    }

    private func checkConditions(_ conditions: [Condition], of stage: StageSpec, _ diagnostics: inout DiagnosticLog) {
        for condition in conditions {
            guard spec.sweep.axis(named: condition.axis) != nil else {
                let help =
                    Suggestion.hint(for: condition.axis, in: spec.sweep.axisNames).nonEmpty
                    ?? "; conditions test sweep axes, and the axes are \(spec.sweep.axisNames.quotedList)"
                diagnostics.error(at: condition.location, "stage '\(stage.name)' tests the axis '\(condition.axis)', which the sweep does not declare\(help)")
                continue
            }
            let possible = spec.sweep.possibleValues(of: condition.axis)
            for value in condition.values where !possible.contains(value) {
                diagnostics.error(
                    at: condition.location,
                    "stage '\(stage.name)' tests '\(condition.axis)' for '\(value.text.truncatedForMessage)', a value the axis never takes\(Suggestion.hint(for: value.text, in: possible.map(\.text)))"
                )
            }
        }
    }
}

extension String {
    /// nil for an empty string, so that `?? fallback` reads naturally.
    var nonEmpty: String? { isEmpty ? nil : self }
}
