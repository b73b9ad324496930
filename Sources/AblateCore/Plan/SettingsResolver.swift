/// Resolves a stage's settings for one variant: defaults merged under the stage's own values,
/// sweep references substituted, types checked.
struct SettingsResolver {
    let spec: Spec
    let files: any LocalFiles
    let resolver: ReferenceResolver
    let memo: SettingsMemo

    /// The resolved settings, split into what changes the result and how the task runs.
    struct Resolved {
        var result: [String: SettingValue]
        var resources: TaskResources
        var retries: Int
        /// For kinds that continue from checkpoints, how they save them.
        var checkpoint: CheckpointPolicy?
        /// `temporary: true`: the outputs go once their readers completed.
        var temporary = false
    }

    func settings(of stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> Resolved? {
        let preparation = memo.preparation(for: stage.name) ?? prepare(stage, &diagnostics)
        guard var resolved = preparation.base else { return nil }
        var complete = true
        for setting in preparation.varying {
            let value = SettingChecker.resolve(
                setting.node, as: setting.definition, path: setting.definition.name,
                substitute: { substitute($0, at: $1, stage: stage, &$2) }, &diagnostics)
            guard let value, apply(value, of: setting, to: &resolved, stage: stage, &diagnostics) else {
                complete = false
                continue
            }
        }
        // With `sweep.seeds`, every stage that does not pin its own seed follows the axis.
        if stage.settings["seed"] == nil, let seed = resolver.axisValue(SweepSpec.seedAxis) {
            resolved.result["seed"] = seed
        }
        for name in SettingCatalog.required(for: stage.kind) where resolved.result[name] == nil && complete {
            diagnostics.error(at: stage.location, "stage '\(stage.name)' (kind '\(stage.kind.rawValue)') needs '\(name):', in the stage or in 'defaults:'")
            complete = false
        }
        return complete ? resolved : nil
    }

    /// Resolves the settings that are the same in every variant once, and lists the ones
    /// that reference the sweep.
    private func prepare(_ stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> SettingsMemo.Preparation {
        var base = Resolved(
            result: [:], resources: TaskResources(), retries: 0, checkpoint: stage.kind.descriptor.resumesFromCheckpoints ? .standard : nil)
        var varying: [SettingsMemo.Setting] = []
        var complete = true
        for name in SettingCatalog.names(for: stage.kind) {
            guard let definition = SettingCatalog.definition(named: name), let node = mergedNode(name, stage) else { continue }
            let setting = SettingsMemo.Setting(definition: definition, node: node)
            if node.containsReference {
                varying.append(setting)
                continue
            }
            guard let value = SettingChecker.resolve(node, as: definition, path: name, substitute: nil, &diagnostics),
                apply(value, of: setting, to: &base, stage: stage, &diagnostics)
            else {
                complete = false
                continue
            }
        }
        let preparation = SettingsMemo.Preparation(base: complete ? base : nil, varying: varying)
        memo.store(preparation, for: stage.name)
        return preparation
    }

    /// The stage's node merged over the default's, so `lora: {r: 16}` in a stage keeps the
    /// default alpha.
    private func mergedNode(_ name: String, _ stage: StageSpec) -> SpecNode? {
        switch (spec.defaults[name], stage.settings[name]) {
        case (let base?, let own?): return SpecLoader.merge(base: base, override: own)
        case (let base?, nil): return base
        case (nil, let own): return own
        }
    }

    /// Puts a checked value where it belongs; false after reporting a missing path.
    private func apply(
        _ value: SettingValue, of setting: SettingsMemo.Setting, to resolved: inout Resolved, stage: StageSpec,
        _ diagnostics: inout DiagnosticLog
    ) -> Bool {
        let name = setting.definition.name
        if case .path = setting.definition.type, case .string(let written) = value {
            guard let path = existingPath(written, named: name, at: setting.node.location, stage: stage, &diagnostics) else { return false }
            resolved.result[name] = .string(path)
            return true
        }
        var value = value
        if case .record(let definitions) = setting.definition.type, case .map(var fields) = value {
            for definition in definitions where definition.type.isPath {
                guard case .string(let written)? = fields[definition.name] else { continue }
                let location = setting.node[definition.name]?.location ?? setting.node.location
                guard let path = existingPath(written, named: "\(name).\(definition.name)", at: location, stage: stage, &diagnostics) else {
                    return false
                }
                fields[definition.name] = .string(path)
            }
            value = .map(fields)
        }
        switch name {
        case "resources": resolved.resources = resources(from: value)
        case "retries": if case .int(let retries) = value { resolved.retries = retries }
        case "checkpoint": resolved.checkpoint = CheckpointPolicy(setting: value, over: .standard)
        case "temporary": if case .bool(let temporary) = value { resolved.temporary = temporary }
        default: resolved.result[name] = value
        }
        return true
    }

    /// A path setting's absolute path, relative to the spec that names it; nil after reporting one that does not exist.
    private func existingPath(
        _ written: String, named name: String, at location: SourceLocation, stage: StageSpec, _ diagnostics: inout DiagnosticLog
    ) -> String? {
        let path = SpecPath.resolve(written, relativeTo: location.file)
        guard files.kind(of: path) != nil else {
            diagnostics.error(
                at: location,
                "'\(name)' of stage '\(stage.name)' names '\(written.truncatedForMessage)', which does not exist (looked for \(path)); fix the path")
            return nil
        }
        return path
    }

    private func substitute(_ text: String, at location: SourceLocation, stage: StageSpec, _ diagnostics: inout DiagnosticLog) -> SettingValue? {
        let template = memo.template(text, at: location)
        var pieces: [SettingValue] = []
        for part in template.parts {
            switch part {
            case .literal(let literal): pieces.append(.string(literal))
            case .reference(let expression):
                switch resolver.resolve(expression) {
                case .value(.axis(let value)): pieces.append(value)
                case .value(.model(let model)): pieces.append(.string(ResolvedInput.model(model).argument.display))
                case .value(.dataset(let dataset)): pieces.append(.string(ResolvedInput.dataset(dataset).argument.display))
                case .value(.file(let file)): pieces.append(.string(file.path))
                case .value(.taskOutput), .value(.taskOutputs), .value(.ownOutput), .absent:
                    diagnostics.error(
                        at: location, "settings cannot use another stage's output (\(expression)); pass paths with 'args:' or an input such as 'model:'")
                    return nil
                case .failed: return nil
                }
            }
        }
        // A value that is exactly one reference keeps the referenced value's type.
        if pieces.count == 1, let only = pieces.first { return only }
        return .string(pieces.map(\.text).joined())
    }

    private func resources(from value: SettingValue) -> TaskResources {
        var resources = TaskResources()
        guard case .map(let fields) = value else { return resources }
        if case .int(let gpus)? = fields["gpus"] { resources.gpus = gpus }
        if case .int(let cpus)? = fields["cpus"] { resources.cpus = cpus }
        if case .int(let memory)? = fields["memory"] { resources.memoryMB = memory }
        if case .int(let time)? = fields["time"] { resources.timeLimitSeconds = time }
        if case .int(let nodes)? = fields["nodes"] { resources.nodes = nodes }
        return resources
    }
}
