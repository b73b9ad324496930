import Yams

/// A YAML value that remembers which file, line and column it came from.
///
/// Specs are read into this form first so that every later error can point at the exact place,
/// even after `extends:` has merged several files together.
public struct SpecNode: Sendable {
    /// A scalar as written: its text, and whether it was plain (unquoted), which decides
    /// whether `8` is a number or the string "8".
    public struct Scalar: Sendable, Hashable {
        public var text: String
        public var isPlain: Bool
    }

    /// One `key: value` pair of a mapping.
    public struct Entry: Sendable {
        public var key: String
        public var keyLocation: SourceLocation
        public var value: SpecNode
    }

    /// The shape of a node.
    public enum Content: Sendable {
        case scalar(Scalar)
        case sequence([SpecNode])
        case mapping([Entry])
    }

    public var content: Content
    public var location: SourceLocation

    public init(_ content: Content, at location: SourceLocation) {
        self.content = content
        self.location = location
    }

    public var scalar: Scalar? {
        if case .scalar(let scalar) = content { return scalar }
        return nil
    }

    public var sequence: [SpecNode]? {
        if case .sequence(let items) = content { return items }
        return nil
    }

    public var entries: [Entry]? {
        if case .mapping(let entries) = content { return entries }
        return nil
    }

    /// The value under `key` when this node is a mapping.
    public subscript(key: String) -> SpecNode? {
        entries?.first { $0.key == key }?.value
    }

    /// A plain `null`, `~` or empty value.
    public var isNull: Bool {
        guard let scalar, scalar.isPlain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.text)
    }

    /// What kind of YAML value this is, for error messages ("expected a mapping, got a list").
    public var shapeDescription: String {
        switch content {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let scalar):
            if isNull { return "nothing (null)" }
            return "'\(scalar.text.truncatedForMessage)'"
        }
    }
}

extension String {
    /// Long values are cut in messages so that one bad line does not flood the terminal.
    var truncatedForMessage: String {
        let visible = replacingOccurrences(of: "\0", with: "\\0")
        return visible.count > 60 ? String(visible.prefix(57)) + "..." : visible
    }
}

extension SpecNode {
    /// Node trees larger than this are refused: YAML aliases can make a small file expand
    /// into an enormous tree ("billion laughs").
    static let maximumNodeCount = 1_000_000

    /// Converts a Yams node tree into located nodes, reporting non-string keys.
    static func from(
        _ node: Node, file: String, diagnostics: inout DiagnosticLog
    ) -> SpecNode? {
        var budget = maximumNodeCount
        return convert(node, file: file, budget: &budget, diagnostics: &diagnostics)
    }

    private static func convert(
        _ node: Node, file: String, budget: inout Int, diagnostics: inout DiagnosticLog
    ) -> SpecNode? {
        budget -= 1
        let location = SourceLocation(
            file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
        if budget < 0 {
            diagnostics.error(
                at: location,
                "the document expands to more than \(maximumNodeCount) values (through aliases?); write it out without nested aliases"
            )
            return nil
        }
        switch node {
        case .scalar(let scalar):
            // An explicit `!!str` makes even a plain `8` a string, as YAML intends.
            let plain = scalar.style == .plain && scalar.tag.description != Tag.Name.str.rawValue
            return SpecNode(.scalar(Scalar(text: scalar.string, isPlain: plain)), at: location)
        case .sequence(let sequence):
            var items: [SpecNode] = []
            for item in sequence {
                guard let converted = convert(item, file: file, budget: &budget, diagnostics: &diagnostics) else { return nil }
                items.append(converted)
            }
            return SpecNode(.sequence(items), at: location)
        case .mapping(let mapping):
            var entries: [Entry] = []
            for (key, value) in mapping {
                let keyLocation = SourceLocation(
                    file: file, line: key.mark?.line ?? location.line, column: key.mark?.column ?? location.column)
                guard case .scalar(let keyScalar) = key else {
                    diagnostics.error(at: keyLocation, "a mapping key must be a plain name, not a list or mapping")
                    continue
                }
                guard let converted = convert(value, file: file, budget: &budget, diagnostics: &diagnostics) else { return nil }
                entries.append(Entry(key: keyScalar.string, keyLocation: keyLocation, value: converted))
            }
            return SpecNode(.mapping(entries), at: location)
        case .alias(let alias):
            diagnostics.error(
                at: SourceLocation(file: file, line: alias.mark?.line ?? 1, column: alias.mark?.column ?? 1),
                "the alias *\(alias.anchor) has no anchor before it; define &\(alias.anchor) first")
            return nil
        }
    }
}
