/// Where a study's tasks run: processes on this machine, or jobs on a Slurm cluster. The
/// spec's `executor:` section sets it; `ablate run --executor …` and its flags override it.
/// It changes how tasks run, never what they produce, so it stays out of fingerprints.
public enum Executor: Hashable, Sendable {
    case local
    case slurm(SlurmOptions)

    /// The engines a task can run on, by name.
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case local, slurm
    }

    public var kind: Kind {
        switch self {
        case .local: return .local
        case .slurm: return .slurm
        }
    }

    /// The Slurm options, for the Slurm executor.
    public var slurm: SlurmOptions? {
        if case .slurm(let options) = self { return options }
        return nil
    }
}

/// How the Slurm executor submits and follows jobs.
public struct SlurmOptions: Codable, Hashable, Sendable {
    /// `sbatch --partition`, `--account` and `--qos`.
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Further sbatch options, one argument each (`--constraint=a100`).
    public var sbatchFlags: [String]
    /// Seconds between two looks at the queue (one `squeue` call for all of the run's jobs).
    public var pollInterval: Double

    public static let defaultPollInterval = 5.0
    /// The longest poll interval accepted: a day (longer waits are surely a typo).
    public static let maximumPollInterval = 86_400.0

    public init(partition: String? = nil, account: String? = nil, qos: String? = nil, sbatchFlags: [String] = [], pollInterval: Double = defaultPollInterval) {
        self.partition = partition
        self.account = account
        self.qos = qos
        self.sbatchFlags = sbatchFlags
        self.pollInterval = pollInterval
    }

    /// Whether `seconds` is a poll interval ablate can wait for.
    public static func isValidPollInterval(_ seconds: Double) -> Bool {
        seconds.isFinite && seconds > 0 && seconds <= maximumPollInterval
    }
}

extension Executor: Codable {
    private enum CodingKeys: String, CodingKey {
        case type, slurm
    }

    /// `{"type": "local"}` or `{"type": "slurm", "slurm": {…}}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(Kind.self, forKey: .type) {
        case .local: self = .local
        case .slurm: self = .slurm(try container.decodeIfPresent(SlurmOptions.self, forKey: .slurm) ?? SlurmOptions())
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .type)
        if case .slurm(let options) = self { try container.encode(options, forKey: .slurm) }
    }
}

/// Reads `executor: slurm` or `executor: {type: slurm, partition: gpu, …}`.
struct ExecutorParser {
    static let keys = ["type", "partition", "account", "qos", "sbatch_flags", "poll_interval"]
    /// The keys that only the Slurm executor reads.
    static let slurmKeys = Array(keys.dropFirst())

    func parse(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> Executor {
        guard let node else { return .local }
        if node.scalar != nil {
            return parseKind(node, &diagnostics) == .slurm ? .slurm(SlurmOptions()) : .local
        }
        guard node.mappingEntries("'executor'", &diagnostics) != nil else { return .local }
        node.reportUnknownKeys(allowed: Self.keys, in: "'executor'", &diagnostics)
        let written = node["type"].map { parseKind($0, &diagnostics) }
        // An unreadable type was reported already: its options are still checked, as Slurm's.
        let kind = written.map { $0 ?? .slurm } ?? .local
        guard kind == .slurm else {
            for key in Self.slurmKeys {
                guard let value = node[key] else { continue }
                diagnostics.error(
                    at: value.location, "'executor.\(key)' applies to the slurm executor only; add 'type: slurm' to the section or remove '\(key)'")
            }
            return .local
        }
        var options = SlurmOptions()
        options.partition = node["partition"]?.stringValue("'executor.partition'", &diagnostics)
        options.account = node["account"]?.stringValue("'executor.account'", &diagnostics)
        options.qos = node["qos"]?.stringValue("'executor.qos'", &diagnostics)
        if let flags = node["sbatch_flags"] {
            options.sbatchFlags = flags.stringList("'executor.sbatch_flags'", &diagnostics) ?? []
        }
        if let interval = node["poll_interval"] {
            if case .success(let value) = SettingValue(scalarNode: interval).map({ SettingType.positiveNumber.check($0) }), let seconds = value.number,
                SlurmOptions.isValidPollInterval(seconds)
            {
                options.pollInterval = seconds
            } else {
                diagnostics.error(
                    at: interval.location,
                    "'executor.poll_interval' must be a number of seconds above 0 and at most \(Int(SlurmOptions.maximumPollInterval)) (a day), not \(interval.shapeDescription)"
                )
            }
        }
        return written == .some(nil) ? .local : .slurm(options)
    }

    private func parseKind(_ node: SpecNode, _ diagnostics: inout DiagnosticLog) -> Executor.Kind? {
        guard let text = node.stringValue("the executor type", &diagnostics) else { return nil }
        if let kind = Executor.Kind(rawValue: text) { return kind }
        let kinds = Executor.Kind.allCases.map(\.rawValue)
        diagnostics.error(
            at: node.location, "unknown executor '\(text.truncatedForMessage)'\(Suggestion.hint(for: text, in: kinds).nonEmpty ?? "; use \(kinds.quotedList)")")
        return nil
    }
}
