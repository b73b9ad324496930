/// Reads `stages:`: each stage's kind, inputs, settings, pass-through arguments and conditions.
struct StageParser {
    static let commonKeys = ["kind", "when", "unless", "args", "env"]
    static let commandKeys = ["run", "command", "inputs", "outputs", "metric_files", "gather"]

    func parseStages(_ node: SpecNode, _ diagnostics: inout DiagnosticLog) -> [StageSpec] {
        guard let entries = node.mappingEntries("'stages'", &diagnostics) else { return [] }
        if entries.isEmpty {
            diagnostics.error(at: node.location, "'stages' is empty; add at least one stage")
        }
        return entries.compactMap { parseStage($0, &diagnostics) }
    }

    /// The keys a stage of `kind` accepts, for unknown-key messages.
    static func allowedKeys(for kind: StageKind) -> [String] {
        commonKeys + kind.inputRoles.map(\.rawValue) + SettingCatalog.names(for: kind)
            + (kind == .command ? commandKeys : [])
    }

    private func parseStage(_ entry: SpecNode.Entry, _ diagnostics: inout DiagnosticLog) -> StageSpec? {
        let name = entry.key
        if let problem = Name.problem(with: name) {
            diagnostics.error(at: entry.keyLocation, "the stage name '\(name.truncatedForMessage)' \(problem); it names task directories, so rename it")
            return nil
        }
        let context = "stage '\(name)'"
        let node = entry.value
        guard node.mappingEntries(context, &diagnostics) != nil else { return nil }
        guard let kind = parseKind(node, context: context, at: entry.keyLocation, &diagnostics) else { return nil }
        reportUnknownKeys(node, kind: kind, context: context, &diagnostics)

        var stage = StageSpec(
            name: name, location: entry.keyLocation, kind: kind, inputs: [:], commandInputs: [],
            settings: [:], args: [], environment: [], run: nil, command: nil,
            outputs: ["output"], metricFiles: [], when: [], unless: [], gather: [])
        for role in kind.inputRoles {
            guard let roleNode = node[role.rawValue],
                let text = roleNode.stringValue("'\(role.rawValue)' of \(context)", &diagnostics)
            else { continue }
            stage.inputs[role] = Template.parse(text, at: roleNode.location, diagnostics: &diagnostics)
        }
        for role in kind.requiredRoles where node[role.rawValue] == nil {
            diagnostics.error(at: entry.keyLocation, "\(context) (kind '\(kind.rawValue)') needs '\(role.rawValue):'; \(Self.roleHelp(role))")
        }
        for settingName in SettingCatalog.names(for: kind) {
            guard let settingNode = node[settingName], let definition = SettingCatalog.definition(named: settingName) else { continue }
            SettingChecker.check(settingNode, as: definition, path: settingName, &diagnostics)
            for (text, location) in settingNode.stringScalars where text.contains("${") {
                _ = Template.parse(text, at: location, diagnostics: &diagnostics)
            }
            stage.settings[settingName] = settingNode
        }
        if let argsNode = node["args"], let args = argsNode.stringList("'args' of \(context)", &diagnostics) {
            let items = argsNode.sequence ?? [argsNode]
            stage.args = zip(args, items).map { Template.parse($0, at: $1.location, diagnostics: &diagnostics) }
        }
        stage.environment = parseNamedTemplates(node["env"], context: "'env' of \(context)", &diagnostics)
        stage.when = parseConditions(node["when"], key: "when", context: context, &diagnostics)
        stage.unless = parseConditions(node["unless"], key: "unless", context: context, &diagnostics)
        if kind == .command {
            parseCommand(node, into: &stage, context: context, at: entry.keyLocation, &diagnostics)
        }
        return stage
    }

    private func parseKind(_ node: SpecNode, context: String, at location: SourceLocation, _ diagnostics: inout DiagnosticLog) -> StageKind? {
        let kinds = StageKind.allCases.map(\.rawValue)
        guard let kindNode = node["kind"] else {
            diagnostics.error(at: location, "\(context) has no 'kind:'; use one of \(kinds.quotedList)")
            return nil
        }
        guard let text = kindNode.stringValue("the kind of \(context)", &diagnostics) else { return nil }
        guard let kind = StageKind(rawValue: text) else {
            let hint = Suggestion.hint(for: text, in: kinds)
            diagnostics.error(
                at: kindNode.location, "unknown stage kind '\(text.truncatedForMessage)'\(hint.isEmpty ? "; use one of \(kinds.quotedList)" : hint)")
            return nil
        }
        return kind
    }

    private func reportUnknownKeys(_ node: SpecNode, kind: StageKind, context: String, _ diagnostics: inout DiagnosticLog) {
        let allowed = Self.allowedKeys(for: kind)
        for entry in node.entries ?? [] where !allowed.contains(entry.key) {
            if let definition = SettingCatalog.definition(named: entry.key) {
                let kinds = StageKind.allCases.filter { definition.kinds.contains($0) }.map(\.rawValue)
                diagnostics.error(at: entry.keyLocation, "stages of kind '\(kind.rawValue)' do not read '\(entry.key)'; it applies to \(kinds.quotedList)")
            } else if InputRole(rawValue: entry.key) != nil || Self.commandKeys.contains(entry.key) {
                diagnostics.error(
                    at: entry.keyLocation,
                    "stages of kind '\(kind.rawValue)' take no '\(entry.key):'; they take \(allowed.filter { !SettingCatalog.names(for: kind).contains($0) }.quotedList)"
                )
            } else {
                let hint = Suggestion.hint(for: entry.key, in: allowed)
                diagnostics.error(
                    at: entry.keyLocation,
                    "unknown key '\(entry.key)' in \(context)\(hint.isEmpty ? "; a '\(kind.rawValue)' stage takes \(allowed.quotedList)" : hint)")
            }
        }
    }

    static func roleHelp(_ role: InputRole) -> String {
        switch role.target {
        case .model: return "name a model from 'models:' or another stage's model, e.g. '${stages.sft.model}'"
        case .data: return "name a dataset from 'datasets:', a sweep axis such as '${sweep.data}', or a stage's samples"
        }
    }

    private func parseNamedTemplates(_ node: SpecNode?, context: String, _ diagnostics: inout DiagnosticLog) -> [(name: String, template: Template)] {
        guard let node, let entries = node.mappingEntries(context, &diagnostics) else { return [] }
        var result: [(name: String, template: Template)] = []
        for entry in entries {
            guard let scalar = entry.value.scalar, !entry.value.isNull else {
                diagnostics.error(at: entry.value.location, "'\(entry.key)' in \(context) must be a string, not \(entry.value.shapeDescription)")
                continue
            }
            result.append((entry.key, Template.parse(scalar.text, at: entry.value.location, diagnostics: &diagnostics)))
        }
        return result
    }

    private func parseConditions(_ node: SpecNode?, key: String, context: String, _ diagnostics: inout DiagnosticLog) -> [Condition] {
        guard let node, let entries = node.mappingEntries("'\(key)' of \(context)", &diagnostics) else { return [] }
        var conditions: [Condition] = []
        for entry in entries {
            guard let values = entry.value.scalarValues("the values of '\(entry.key)' in '\(key)'", &diagnostics) else { continue }
            conditions.append(Condition(axis: entry.key, values: values, location: entry.keyLocation))
        }
        return conditions
    }

    private func parseCommand(_ node: SpecNode, into stage: inout StageSpec, context: String, at location: SourceLocation, _ diagnostics: inout DiagnosticLog) {
        switch (node["run"], node["command"]) {
        case (let run?, nil):
            if let text = run.stringValue("'run' of \(context)", &diagnostics) {
                stage.run = Template.parse(text, at: run.location, diagnostics: &diagnostics)
            }
        case (nil, let command?):
            if let argv = command.stringList("'command' of \(context)", &diagnostics) {
                let items = command.sequence ?? [command]
                stage.command = zip(argv, items).map { Template.parse($0, at: $1.location, diagnostics: &diagnostics) }
            }
        case (_?, _?):
            diagnostics.error(at: location, "\(context) has both 'run:' and 'command:'; keep one ('run' is a shell line, 'command' a list of arguments)")
        case (nil, nil):
            diagnostics.error(at: location, "\(context) (kind 'command') needs 'run:' (a shell line) or 'command:' (a list of program and arguments)")
        }
        stage.commandInputs = parseNamedTemplates(node["inputs"], context: "'inputs' of \(context)", &diagnostics)
        if let gather = node["gather"], let axes = gather.stringList("'gather' of \(context)", &diagnostics) {
            stage.gather = axes
            stage.gatherLocation = gather.location
        }
        for input in stage.commandInputs where Name.problem(with: input.name) != nil {
            diagnostics.error(
                at: input.template.location,
                "the input name '\(input.name.truncatedForMessage)' \(Name.problem(with: input.name) ?? ""); it becomes an environment variable, so rename it")
        }
        if let outputsNode = node["outputs"], let outputs = outputsNode.stringList("'outputs' of \(context)", &diagnostics) {
            for output in outputs where Name.problem(with: output) != nil {
                diagnostics.error(
                    at: outputsNode.location,
                    "the output name '\(output.truncatedForMessage)' \(Name.problem(with: output) ?? ""); it names a directory, so rename it")
            }
            stage.outputs = outputs
        }
        if let filesNode = node["metric_files"], let files = filesNode.stringList("'metric_files' of \(context)", &diagnostics) {
            for file in files where file.hasPrefix("/") || file.split(separator: "/").contains("..") {
                diagnostics.error(
                    at: filesNode.location,
                    "the metric file '\(file.truncatedForMessage)' must be a path inside the task's output directory, without '..' or a leading '/'")
            }
            stage.metricFiles = files
        }
    }
}
