/// Checks a setting's YAML value against its definition and produces the typed value.
///
/// Values that reference the sweep (`learning_rate: ${sweep.lr}`) can only be checked once a
/// variant is known: at parse time they are skipped, and the compiler checks them per variant
/// by passing a `substitute` function.
enum SettingChecker {
    /// Replaces the references in a string; returns nil after reporting when it cannot.
    typealias Substitute = (String, SourceLocation, inout DiagnosticLog) -> SettingValue?

    /// Checks a value that may still hold references (those parts are skipped).
    static func check(_ node: SpecNode, as definition: SettingDefinition, path: String, _ diagnostics: inout DiagnosticLog) {
        _ = resolve(node, as: definition, path: path, substitute: nil, &diagnostics)
    }

    /// The typed, canonical value, or nil after reporting what is wrong.
    static func resolve(
        _ node: SpecNode, as definition: SettingDefinition, path: String,
        substitute: Substitute?, _ diagnostics: inout DiagnosticLog
    ) -> SettingValue? {
        if case .record(let fields) = definition.type {
            return resolveRecord(node, fields: fields, path: path, substitute: substitute, &diagnostics)
        }
        if node.containsReference {
            guard let substitute else { return nil }
            guard let value = substituted(node, substitute, &diagnostics) else { return nil }
            return typed(value, as: definition, path: path, at: node.location, &diagnostics)
        }
        guard let value = node.settingValue() else {
            diagnostics.error(at: node.location, "'\(path)' has no value; give it \(definition.type.expectation) or remove the key")
            return nil
        }
        return typed(value, as: definition, path: path, at: node.location, &diagnostics)
    }

    private static func typed(
        _ value: SettingValue, as definition: SettingDefinition, path: String, at location: SourceLocation,
        _ diagnostics: inout DiagnosticLog
    ) -> SettingValue? {
        switch definition.type.check(value) {
        case .success(let canonical): return canonical
        case .failure(let error):
            diagnostics.error(at: location, error.message(for: path))
            return nil
        }
    }

    private static func resolveRecord(
        _ node: SpecNode, fields: [SettingDefinition], path: String,
        substitute: Substitute?, _ diagnostics: inout DiagnosticLog
    ) -> SettingValue? {
        guard let entries = node.mappingEntries("'\(path)'", &diagnostics) else { return nil }
        node.reportUnknownKeys(allowed: fields.map(\.name), in: "'\(path)'", &diagnostics)
        var values: [String: SettingValue] = [:]
        var complete = true
        for entry in entries {
            guard let field = fields.first(where: { $0.name == entry.key }) else { continue }
            if let value = resolve(entry.value, as: field, path: "\(path).\(entry.key)", substitute: substitute, &diagnostics) {
                values[entry.key] = value
            } else {
                complete = false
            }
        }
        return complete ? .map(values) : nil
    }

    private static func substituted(_ node: SpecNode, _ substitute: Substitute, _ diagnostics: inout DiagnosticLog) -> SettingValue? {
        switch node.content {
        case .scalar(let scalar):
            guard scalar.text.contains("${") else { return SettingValue(scalarNode: node) ?? .string("") }
            return substitute(scalar.text, node.location, &diagnostics)
        case .sequence(let items):
            var values: [SettingValue] = []
            for item in items {
                guard let value = substituted(item, substitute, &diagnostics) else { return nil }
                values.append(value)
            }
            return .list(values)
        case .mapping(let entries):
            var values: [String: SettingValue] = [:]
            for entry in entries {
                guard let value = substituted(entry.value, substitute, &diagnostics) else { return nil }
                values[entry.key] = value
            }
            return .map(values)
        }
    }
}
