import Synchronization

/// What settings resolution reuses across the variants of one compilation: each stage's
/// settings that are the same in every variant, and parsed templates. A class, so that the
/// per-variant resolvers share it, and behind a lock, since a stage's variants are drafted on
/// every core.
final class SettingsMemo: Sendable {
    /// A setting of a stage with its merged node.
    struct Setting {
        var definition: SettingDefinition
        var node: SpecNode
    }

    /// A stage's settings split into those resolved once (`base`, nil when one of them is
    /// wrong) and those that reference the sweep.
    struct Preparation {
        var base: SettingsResolver.Resolved?
        var varying: [Setting]
    }

    private struct Memo {
        var preparations: [String: Preparation] = [:]
        var templates: [String: Template] = [:]
    }

    private let memo = Mutex(Memo())

    func preparation(for stage: String) -> Preparation? { memo.withLock { $0.preparations[stage] } }

    func store(_ preparation: Preparation, for stage: String) { memo.withLock { $0.preparations[stage] = preparation } }

    /// A setting's template; its syntax errors were reported when the stage was parsed.
    func template(_ text: String, at location: SourceLocation) -> Template {
        let key = "\(location)\0\(text)"
        if let known = memo.withLock({ $0.templates[key] }) { return known }
        var alreadyReported = DiagnosticLog()
        let template = Template.parse(text, at: location, diagnostics: &alreadyReported)
        memo.withLock { $0.templates[key] = template }
        return template
    }
}
