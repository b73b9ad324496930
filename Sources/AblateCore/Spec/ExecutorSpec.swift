/// Where a study's tasks run: processes on this machine, or jobs on a Slurm cluster. The
/// spec's `executor:` section sets it; `ablate run --executor …` and its flags override it.
/// It changes how tasks run, never what they produce, so it stays out of fingerprints.
public struct ExecutorSpec: Codable, Hashable, Sendable {
    /// The engines a task can run on.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case local, slurm
    }

    public var kind: Kind
    /// `sbatch --partition`, `--account` and `--qos`.
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Further sbatch options, one argument each (`--constraint=a100`).
    public var sbatchFlags: [String]
    /// Seconds between two looks at the queue (one `squeue` call for all of the run's jobs).
    public var pollInterval: Double

    public static let defaultPollInterval = 5.0

    public init(
        kind: Kind = .local, partition: String? = nil, account: String? = nil, qos: String? = nil, sbatchFlags: [String] = [],
        pollInterval: Double = defaultPollInterval
    ) {
        self.kind = kind
        self.partition = partition
        self.account = account
        self.qos = qos
        self.sbatchFlags = sbatchFlags
        self.pollInterval = pollInterval
    }
}

/// Reads `executor: slurm` or `executor: {type: slurm, partition: gpu, …}`.
struct ExecutorParser {
    static let keys = ["type", "partition", "account", "qos", "sbatch_flags", "poll_interval"]

    func parse(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> ExecutorSpec {
        var executor = ExecutorSpec()
        guard let node else { return executor }
        if node.scalar != nil {
            if let kind = parseKind(node, &diagnostics) { executor.kind = kind }
            return executor
        }
        guard node.mappingEntries("'executor'", &diagnostics) != nil else { return executor }
        node.reportUnknownKeys(allowed: Self.keys, in: "'executor'", &diagnostics)
        if let type = node["type"], let kind = parseKind(type, &diagnostics) { executor.kind = kind }
        executor.partition = node["partition"]?.stringValue("'executor.partition'", &diagnostics)
        executor.account = node["account"]?.stringValue("'executor.account'", &diagnostics)
        executor.qos = node["qos"]?.stringValue("'executor.qos'", &diagnostics)
        if let flags = node["sbatch_flags"] {
            executor.sbatchFlags = flags.stringList("'executor.sbatch_flags'", &diagnostics) ?? []
        }
        if let interval = node["poll_interval"] {
            if case .success(let value) = SettingValue(scalarNode: interval).map({ SettingType.positiveNumber.check($0) }), let seconds = value.number {
                executor.pollInterval = seconds
            } else {
                diagnostics.error(
                    at: interval.location, "'executor.poll_interval' must be a positive number of seconds, not \(interval.shapeDescription)")
            }
        }
        return executor
    }

    private func parseKind(_ node: SpecNode, _ diagnostics: inout DiagnosticLog) -> ExecutorSpec.Kind? {
        guard let text = node.stringValue("the executor type", &diagnostics) else { return nil }
        if let kind = ExecutorSpec.Kind(rawValue: text) { return kind }
        let kinds = ExecutorSpec.Kind.allCases.map(\.rawValue)
        diagnostics.error(
            at: node.location, "unknown executor '\(text.truncatedForMessage)'\(Suggestion.hint(for: text, in: kinds).nonEmpty ?? "; use \(kinds.quotedList)")")
        return nil
    }
}
