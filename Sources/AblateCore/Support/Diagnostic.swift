/// One problem found in a spec, with where it is and how to fix it.
public struct Diagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is: errors stop `validate` and `plan`, warnings do not.
    public enum Severity: String, Sendable, Codable {
        case error
        case warning
    }

    public var severity: Severity
    public var location: SourceLocation
    public var message: String

    public init(_ severity: Severity = .error, at location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `file:line:column: error: message`, the form compilers use and editors jump to.
    public var description: String { "\(location): \(severity.rawValue): \(message)" }
}

/// Collects diagnostics in the order they were found, without repeating one.
///
/// Compilation visits every variant of a sweep, so the same mistake would otherwise be reported
/// once per variant.
public struct DiagnosticLog: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    private var seen: Set<Diagnostic> = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func error(at location: SourceLocation, _ message: String) {
        append(Diagnostic(.error, at: location, message))
    }

    public mutating func warning(at location: SourceLocation, _ message: String) {
        append(Diagnostic(.warning, at: location, message))
    }

    public mutating func append(_ diagnostic: Diagnostic) {
        if seen.insert(diagnostic).inserted {
            diagnostics.append(diagnostic)
        }
    }

    public mutating func append(contentsOf other: DiagnosticLog) {
        for diagnostic in other.diagnostics { append(diagnostic) }
    }

    /// The diagnostics ordered by file, line and column, as a reader goes through the file.
    public var sorted: [Diagnostic] {
        diagnostics.enumerated().sorted { lhs, rhs in
            let (l, r) = (lhs.element.location, rhs.element.location)
            if l.file != r.file { return lhs.offset < rhs.offset }
            if l.line != r.line { return l.line < r.line }
            if l.column != r.column { return l.column < r.column }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
