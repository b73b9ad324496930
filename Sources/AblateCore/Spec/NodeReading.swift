/// Small typed readers over `SpecNode`s that report what is wrong and where.
extension SpecNode {
    /// The entries of a mapping, or an error naming what `context` should have been.
    func mappingEntries(_ context: String, _ diagnostics: inout DiagnosticLog) -> [Entry]? {
        if let entries { return entries }
        if isNull { return [] }
        diagnostics.error(at: location, "\(context) must be a mapping, not \(shapeDescription)")
        return nil
    }

    /// Reports keys not in `allowed`, with a suggestion for likely typos.
    func reportUnknownKeys(
        allowed: [String], in context: String, _ diagnostics: inout DiagnosticLog,
        explanation: String? = nil
    ) {
        for entry in entries ?? [] where !allowed.contains(entry.key) {
            let hint = Suggestion.hint(for: entry.key, in: allowed)
            let known = explanation ?? "expected one of \(allowed.quotedList)"
            diagnostics.error(at: entry.keyLocation, "unknown key '\(entry.key)' in \(context)\(hint.isEmpty ? "; \(known)" : hint)")
        }
    }

    /// A non-empty string scalar.
    func stringValue(_ context: String, _ diagnostics: inout DiagnosticLog) -> String? {
        guard let scalar, !isNull else {
            diagnostics.error(at: location, "\(context) must be a string, not \(shapeDescription)")
            return nil
        }
        guard !scalar.text.isEmpty else {
            diagnostics.error(at: location, "\(context) must not be empty")
            return nil
        }
        return scalar.text
    }

    /// A list of string scalars; a single scalar counts as a list of one.
    func stringList(_ context: String, _ diagnostics: inout DiagnosticLog) -> [String]? {
        if scalar != nil, !isNull { return stringValue(context, &diagnostics).map { [$0] } }
        guard let items = sequence else {
            diagnostics.error(at: location, "\(context) must be a list of strings, not \(shapeDescription)")
            return nil
        }
        var strings: [String] = []
        for item in items {
            guard let string = item.stringValue("each item of \(context)", &diagnostics) else { return nil }
            strings.append(string)
        }
        return strings
    }

    /// A typed value for a setting, without template resolution.
    func settingValue() -> SettingValue? {
        switch content {
        case .scalar:
            return SettingValue(scalarNode: self)
        case .sequence(let items):
            var values: [SettingValue] = []
            for item in items {
                guard let value = item.settingValue() else { return nil }
                values.append(value)
            }
            return .list(values)
        case .mapping(let entries):
            var values: [String: SettingValue] = [:]
            for entry in entries {
                guard let value = entry.value.settingValue() else { return nil }
                values[entry.key] = value
            }
            return .map(values)
        }
    }

    /// One scalar or a list of scalars, as sweep values and conditions are written.
    func scalarValues(_ context: String, _ diagnostics: inout DiagnosticLog) -> [SettingValue]? {
        let items = sequence ?? [self]
        var values: [SettingValue] = []
        for item in items {
            guard let value = SettingValue(scalarNode: item), item.scalar != nil else {
                diagnostics.error(at: item.location, "\(context) must be a string, number or boolean, not \(item.shapeDescription)")
                return nil
            }
            values.append(value)
        }
        return values
    }

    /// Whether any string in this node contains a `${` reference.
    var containsReference: Bool {
        switch content {
        case .scalar(let scalar): return scalar.text.contains("${")
        case .sequence(let items): return items.contains { $0.containsReference }
        case .mapping(let entries): return entries.contains { $0.value.containsReference }
        }
    }

    /// Every string scalar in this node, with its location, for template parsing.
    var stringScalars: [(text: String, location: SourceLocation)] {
        switch content {
        case .scalar(let scalar): return [(scalar.text, location)]
        case .sequence(let items): return items.flatMap(\.stringScalars)
        case .mapping(let entries): return entries.flatMap(\.value.stringScalars)
        }
    }
}
