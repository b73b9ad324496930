/// The columns a dataset's records are normalised to, which a spec's `columns:` maps onto the
/// dataset's own (`columns: {prompt: question, completion: response, system: system_prompt}`).
public enum DatasetColumn: String, CaseIterable, Codable, Sendable {
    case prompt, completion, system, chosen, rejected, messages
    /// The `statements` format's text, group and toxicity rating.
    case text
    case targetGroup = "target_group"
    case toxicityHuman = "toxicity_human"
}

/// Reads a dataset's `columns:` and `template:` (a prompt assembled from several fields,
/// `"{instruction}\n\n{input}"`).
struct DatasetColumnsParser {
    let context: String

    func columns(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [DatasetColumn: String] {
        guard let node, let entries = node.mappingEntries("the columns of \(context)", &diagnostics) else { return [:] }
        var columns: [DatasetColumn: String] = [:]
        let names = DatasetColumn.allCases.map(\.rawValue)
        for entry in entries {
            guard let target = DatasetColumn(rawValue: entry.key) else {
                diagnostics.error(
                    at: entry.keyLocation,
                    "unknown column '\(entry.key.truncatedForMessage)' in the columns of \(context)\(Suggestion.hint(for: entry.key, in: names).nonEmpty ?? "; map \(names.quotedList) onto the dataset's own columns")"
                )
                continue
            }
            // An empty name is refused by stringValue itself.
            guard let column = entry.value.stringValue("the column mapped to '\(entry.key)' in \(context)", &diagnostics) else { continue }
            columns[target] = column
        }
        return columns
    }

    func template(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> String? {
        guard let node, let text = node.stringValue("the template of \(context)", &diagnostics) else { return nil }
        guard text.contains("{") else {
            diagnostics.error(
                at: node.location, "the template of \(context) names no field; write the prompt with fields in braces, such as \"{instruction}\\n\\n{input}\"")
            return nil
        }
        return text
    }
}
