/// A reference to something else in the spec, written inside `${…}`.
public enum Reference: Hashable, Sendable, CustomStringConvertible {
    /// `${sweep.axis}`: the variant's value on a sweep axis.
    case sweep(axis: String)
    /// `${stages.name.output}`: an output of another stage, which makes it a dependency.
    case stage(name: String, output: String)
    /// `${models.name}`: a model from the registry.
    case model(name: String)
    /// `${datasets.name}`: a dataset from the registry.
    case dataset(name: String)
    /// `${files.name}`: a local file or directory from the `files:` registry (scripts, configs).
    case file(name: String)
    /// `${outputs.name}`: one of the stage's own output directories.
    case output(name: String)

    public var description: String {
        switch self {
        case .sweep(let axis): return "sweep.\(axis)"
        case .stage(let name, let output): return "stages.\(name).\(output)"
        case .model(let name): return "models.\(name)"
        case .dataset(let name): return "datasets.\(name)"
        case .output(let name): return "outputs.\(name)"
        case .file(let name): return "files.\(name)"
        }
    }
}

/// `${a ?? b ?? c}`: the first alternative that exists in a variant.
///
/// A DPO stage left out of a variant by `when:` has no model there, so an evaluation can say
/// `${stages.dpo.model ?? stages.sft.model ?? models.base}`.
public struct ReferenceExpression: Hashable, Sendable, CustomStringConvertible {
    public var alternatives: [Reference]
    public var location: SourceLocation

    public var description: String { "${" + alternatives.map(\.description).joined(separator: " ?? ") + "}" }
}

/// A string from the spec with `${…}` references in it; `$${` writes a literal `${`.
public struct Template: Hashable, Sendable {
    /// A run of literal text or one reference.
    public enum Part: Hashable, Sendable {
        case literal(String)
        case reference(ReferenceExpression)
    }

    public var parts: [Part]
    public var location: SourceLocation

    /// The single reference when the whole string is one `${…}`, which keeps the referenced
    /// value's type (a number stays a number).
    public var wholeReference: ReferenceExpression? {
        if parts.count == 1, case .reference(let expression) = parts[0] { return expression }
        return nil
    }

    public var references: [ReferenceExpression] {
        parts.compactMap {
            if case .reference(let expression) = $0 { return expression }
            return nil
        }
    }

    public var isLiteral: Bool { references.isEmpty }

    /// The text with no references, when there are none.
    public var literalText: String? {
        guard isLiteral else { return nil }
        return parts.map {
            if case .literal(let text) = $0 { return text }
            return ""
        }.joined()
    }
}

extension Template {
    /// Parses `text`, reporting malformed references at their column within the value.
    static func parse(_ text: String, at location: SourceLocation, diagnostics: inout DiagnosticLog) -> Template {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        var column = location.column
        func flushLiteral() {
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
        }
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("$${") {
                literal += "${"
                index = text.index(index, offsetBy: 3)
                column += 3
                continue
            }
            guard rest.hasPrefix("${") else {
                literal.append(text[index])
                index = text.index(after: index)
                column += 1
                continue
            }
            let here = SourceLocation(file: location.file, line: location.line, column: column)
            guard let close = rest.firstIndex(of: "}") else {
                diagnostics.error(at: here, "'${' is never closed; write '${stages.NAME.model}' or '$${' for a literal '${'")
                literal += String(rest)
                break
            }
            let body = String(rest[rest.index(rest.startIndex, offsetBy: 2)..<close])
            if let expression = parseExpression(body, at: here, diagnostics: &diagnostics) {
                flushLiteral()
                parts.append(.reference(expression))
            }
            column += body.count + 3
            index = text.index(after: close)
        }
        flushLiteral()
        return Template(parts: parts, location: location)
    }

    private static func parseExpression(
        _ body: String, at location: SourceLocation, diagnostics: inout DiagnosticLog
    ) -> ReferenceExpression? {
        var alternatives: [Reference] = []
        for piece in body.split(separator: "??", omittingEmptySubsequences: false) {
            let path = piece.trimmingCharacters(in: .whitespaces)
            guard let reference = parseReference(path, at: location, diagnostics: &diagnostics) else { return nil }
            alternatives.append(reference)
        }
        return ReferenceExpression(alternatives: alternatives, location: location)
    }

    static let roots = ["sweep", "stages", "models", "datasets", "files", "outputs"]

    private static func parseReference(
        _ path: String, at location: SourceLocation, diagnostics: inout DiagnosticLog
    ) -> Reference? {
        let segments = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        let validSegment = segments.allSatisfy { !$0.isEmpty && $0.allSatisfy(Name.isNameCharacter) }
        guard let root = segments.first, !path.isEmpty, validSegment else {
            diagnostics.error(
                at: location,
                "'${\(path)}' is not a reference; write '${sweep.AXIS}', '${stages.STAGE.OUTPUT}', '${models.NAME}', '${datasets.NAME}', '${files.NAME}' or '${outputs.NAME}'"
            )
            return nil
        }
        switch (root, segments.count) {
        case ("sweep", 2): return .sweep(axis: segments[1])
        case ("stages", 3): return .stage(name: segments[1], output: segments[2])
        case ("stages", 2):
            diagnostics.error(at: location, "'${\(path)}' names a stage but not which output; write '${\(path).model}' (or the stage kind's output)")
            return nil
        case ("models", 2): return .model(name: segments[1])
        case ("datasets", 2): return .dataset(name: segments[1])
        case ("outputs", 2): return .output(name: segments[1])
        case ("files", 2): return .file(name: segments[1])
        case ("sweep", _), ("models", _), ("datasets", _), ("stages", _), ("outputs", _), ("files", _):
            diagnostics.error(
                at: location,
                "'${\(path)}' has the wrong number of parts; '\(root)' references are written '${\(root == "stages" ? "stages.STAGE.OUTPUT" : root + ".NAME")}'"
            )
            return nil
        default:
            diagnostics.error(
                at: location,
                "unknown reference root '\(root)' in '${\(path)}'\(Suggestion.hint(for: root, in: roots).nonEmpty ?? "; references start with \(roots.quotedList)")"
            )
            return nil
        }
    }
}
