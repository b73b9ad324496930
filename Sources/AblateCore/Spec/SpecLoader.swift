import Foundation
import Yams

/// What loading a spec produced: the spec when it is well formed, and every problem found.
public struct SpecLoadResult: Sendable {
    public var spec: Spec?
    public var diagnostics: DiagnosticLog
}

/// Reads a spec file, follows its `extends:` chain and parses the merged document.
public struct SpecLoader: Sendable {
    public var files: any LocalFiles

    public init(files: any LocalFiles = DiskFiles()) {
        self.files = files
    }

    /// Loads and checks the spec at `path`.
    public func load(path: String) -> SpecLoadResult {
        var diagnostics = DiagnosticLog()
        var chain: [String] = []
        guard let document = readDocument(path, chain: &chain, diagnostics: &diagnostics) else {
            return SpecLoadResult(spec: nil, diagnostics: diagnostics)
        }
        let spec = SpecParser(files: files).parse(document, file: path, files: chain, diagnostics: &diagnostics)
        return SpecLoadResult(spec: spec, diagnostics: diagnostics)
    }

    /// Parses YAML text as if it had been read from `file` (used for `extends:`-free input).
    public func load(text: String, file: String) -> SpecLoadResult {
        var diagnostics = DiagnosticLog()
        guard let node = Self.parseYAML(text, file: file, diagnostics: &diagnostics) else {
            return SpecLoadResult(spec: nil, diagnostics: diagnostics)
        }
        var chain = [file]
        let document = resolveExtends(node, file: file, chain: &chain, diagnostics: &diagnostics)
        let spec = SpecParser(files: files).parse(document, file: file, files: chain, diagnostics: &diagnostics)
        return SpecLoadResult(spec: spec, diagnostics: diagnostics)
    }

    private func readDocument(_ path: String, chain: inout [String], diagnostics: inout DiagnosticLog) -> SpecNode? {
        guard let text = files.text(at: path) else {
            let reason = files.kind(of: path) == nil ? "no such file" : "it is not a readable UTF-8 text file"
            diagnostics.error(at: .start(of: path), "cannot read the spec: \(reason); check the path")
            return nil
        }
        guard let node = Self.parseYAML(text, file: path, diagnostics: &diagnostics) else { return nil }
        chain.append(path)
        return resolveExtends(node, file: path, chain: &chain, diagnostics: &diagnostics)
    }

    /// Replaces `extends:` by the parent documents merged under this one.
    private func resolveExtends(
        _ node: SpecNode, file: String, chain: inout [String], diagnostics: inout DiagnosticLog
    ) -> SpecNode {
        guard let entries = node.entries, let extends = entries.first(where: { $0.key == "extends" }) else {
            return node
        }
        guard let parents = extends.value.stringList("'extends'", &diagnostics) else { return node }
        var merged: SpecNode?
        for parent in parents {
            let path = SpecPath.resolve(parent, relativeTo: file)
            if chain.contains(path) {
                diagnostics.error(
                    at: extends.value.location,
                    "'extends' makes a cycle: \((chain + [path]).map { ($0 as NSString).lastPathComponent }.joined(separator: " -> ")); remove one of these 'extends'"
                )
                continue
            }
            guard files.kind(of: path) == .file else {
                diagnostics.error(at: extends.value.location, "'extends' names '\(parent)', but there is no such file (looked for \(path))")
                continue
            }
            guard let parentNode = readDocument(path, chain: &chain, diagnostics: &diagnostics) else { continue }
            merged = merged.map { Self.merge(base: $0, override: parentNode) } ?? parentNode
        }
        var own = node
        own.content = .mapping(entries.filter { $0.key != "extends" })
        return merged.map { Self.merge(base: $0, override: own) } ?? own
    }

    /// Mappings merge key by key, the override winning; anything else is replaced whole.
    static func merge(base: SpecNode, override: SpecNode) -> SpecNode {
        guard let baseEntries = base.entries, let overrideEntries = override.entries else { return override }
        var result = baseEntries
        for entry in overrideEntries {
            if let index = result.firstIndex(where: { $0.key == entry.key }) {
                result[index].value = merge(base: result[index].value, override: entry.value)
                result[index].keyLocation = entry.keyLocation
            } else {
                result.append(entry)
            }
        }
        return SpecNode(.mapping(result), at: override.location)
    }

    static func parseYAML(_ text: String, file: String, diagnostics: inout DiagnosticLog) -> SpecNode? {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            diagnostics.append(Self.diagnostic(for: error, text: text, file: file))
            return nil
        } catch {
            diagnostics.error(at: .start(of: file), "not valid YAML: \(error)")
            return nil
        }
        guard let node else {
            diagnostics.error(at: .start(of: file), "the spec is empty; start with 'ablate: 1', a 'name:' and 'stages:'")
            return nil
        }
        return SpecNode.from(node, file: file, diagnostics: &diagnostics)
    }

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let whileParsing = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            var hint = ""
            if let context, context.text.contains("flow"),
                let reference = unquotedReference(in: text, lines: context.mark.line...max(context.mark.line, mark.line))
            {
                hint = "; a ${…} inside a flow mapping or sequence ({…} or […]) must be quoted: write \"\(reference)\" instead of \(reference)"
            }
            return Diagnostic(at: at(mark), "not valid YAML: \(problem)\(whileParsing)\(hint)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(
                at: at(context.mark),
                "the key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) appears twice in one mapping; keep one")
        case .reader(let problem, _, _, _):
            return Diagnostic(at: .start(of: file), "not valid YAML text: \(problem)")
        default:
            return Diagnostic(at: .start(of: file), "not valid YAML: \(error)")
        }
    }

    /// The first `${…}` on the given lines (1-based) that no quote opens, as written.
    static func unquotedReference(in text: String, lines: ClosedRange<Int>) -> String? {
        let all = text.split(separator: "\n", omittingEmptySubsequences: false)
        for number in lines where number >= 1 && number <= all.count {
            let line = all[number - 1]
            var search = line.startIndex
            while let start = line[search...].range(of: "${") {
                let before = start.lowerBound == line.startIndex ? nil : line[line.index(before: start.lowerBound)]
                let end = line[start.upperBound...].firstIndex(of: "}").map { line.index(after: $0) } ?? line.endIndex
                if before != "\"" && before != "'" { return String(line[start.lowerBound..<end]) }
                search = end
            }
        }
        return nil
    }
}
