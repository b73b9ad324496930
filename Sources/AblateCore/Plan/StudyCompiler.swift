/// The whole front end in one call: load the spec, check it, compile it.
public struct StudyCompiler: Sendable {
    public var files: any LocalFiles
    /// Resolves the revisions of the hub repositories a spec names to commits (none are resolved
    /// without it: `validate` never reaches the network).
    public var resolveHubRevisions: (@Sendable ([HubRepository]) -> HubCommits)?

    public init(files: any LocalFiles = DiskFiles(), resolveHubRevisions: (@Sendable ([HubRepository]) -> HubCommits)? = nil) {
        self.files = files
        self.resolveHubRevisions = resolveHubRevisions
    }

    /// What compiling a spec produced: the plan when there were no errors, and every
    /// diagnostic found on the way.
    public struct Outcome: Sendable {
        public var spec: Spec?
        public var plan: Plan?
        public var diagnostics: DiagnosticLog
    }

    public func compile(path: String) -> Outcome {
        finish(SpecLoader(files: files).load(path: path))
    }

    /// Compiles YAML text as if read from `file`.
    public func compile(text: String, file: String) -> Outcome {
        finish(SpecLoader(files: files).load(text: text, file: file))
    }

    private func finish(_ loaded: SpecLoadResult) -> Outcome {
        var diagnostics = loaded.diagnostics
        guard let spec = loaded.spec else { return Outcome(spec: nil, plan: nil, diagnostics: diagnostics) }
        // Cross-references are checked even when the parser found errors, so that one run of
        // `validate` reports everything; compilation needs a spec without errors.
        SpecValidator(spec: spec).validate(&diagnostics)
        guard !diagnostics.hasErrors else { return Outcome(spec: spec, plan: nil, diagnostics: diagnostics) }
        let commits = spec.hubRepositories.isEmpty ? [:] : resolveHubRevisions?(spec.hubRepositories) ?? [:]
        let plan = PlanCompiler(spec: spec, files: files, hubCommits: commits).compile(&diagnostics)
        return Outcome(spec: spec, plan: plan, diagnostics: diagnostics)
    }
}
