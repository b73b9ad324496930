import AblateCore
import AblateRun
import ArgumentParser
import Foundation

/// The spec argument shared by commands that read a study.
struct SpecOptions: ParsableArguments {
    @Argument(help: "The study spec, e.g. Experiments/data-impact.yaml.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String

    init() {}

    init(spec: String) {
        self.spec = spec
    }

    /// Loads and compiles the spec, printing every diagnostic to standard error; exits 1 when
    /// any of them is an error. Hub revisions are resolved to commits only when `hub` is given,
    /// silently (a revision left unresolved is the fetch task's to report).
    func compile(resolvingRevisionsWith hub: HubSettings? = nil) throws -> Plan {
        let resolver = hub.map(HubRevisionResolver.init)
        var compiler = StudyCompiler()
        if let resolver { compiler.resolveHubRevisions = { resolver.resolve($0) } }
        let outcome = compiler.compile(path: spec)
        let diagnostics = outcome.diagnostics
        let plan = outcome.plan
        report(diagnostics)
        guard let plan, !diagnostics.hasErrors else { throw ExitCode.failure }
        return plan
    }

    /// Prints what resolving hub revisions said, as warnings on standard error.
    static func warn(_ notes: [String]) {
        guard !notes.isEmpty else { return }
        FileHandle.standardError.write(Data(notes.map { "warning: \($0)\n" }.joined().utf8))
    }

    private func report(_ diagnostics: DiagnosticLog) {
        guard !diagnostics.diagnostics.isEmpty else { return }
        var text = diagnostics.sorted.map(\.description).joined(separator: "\n") + "\n"
        let errors = diagnostics.diagnostics.filter { $0.severity == .error }.count
        if errors > 0 { text += "\(errors) error\(errors == 1 ? "" : "s") in \(spec)\n" }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
