import AblateCore
import Foundation

/// `run.json`: one run of a study, as its directory records it.
public struct RunRecord: Codable, Hashable, Sendable {
    /// Where a run stands.
    public enum State: String, Codable, Sendable {
        case running, completed, failed, interrupted
    }

    public var id: String
    public var study: String
    /// The spec as launched, copied into the run directory.
    public var specFile: String
    public var state: State
    public var createdAt: Date
    public var endedAt: Date?
    /// The ablate process driving the run, and when it last said it was alive.
    public var pid: Int32
    public var heartbeatAt: Date
    /// The executor and its options as this run last used them (a resume keeps them).
    public var executor: Executor
    public var provenance: Provenance

    public init(
        id: String, study: String, specFile: String, state: State, createdAt: Date, endedAt: Date? = nil, pid: Int32,
        heartbeatAt: Date, executor: Executor, provenance: Provenance
    ) {
        self.id = id
        self.study = study
        self.specFile = specFile
        self.state = state
        self.createdAt = createdAt
        self.endedAt = endedAt
        self.pid = pid
        self.heartbeatAt = heartbeatAt
        self.executor = executor
        self.provenance = provenance
    }

    private enum CodingKeys: String, CodingKey {
        case id, study, specFile, state, createdAt, endedAt, pid, heartbeatAt, executor, provenance
        /// Where runs of earlier versions kept the executor's options (`executor` held its name).
        case executorSettings
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        study = try container.decode(String.self, forKey: .study)
        specFile = try container.decode(String.self, forKey: .specFile)
        state = try container.decode(State.self, forKey: .state)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        endedAt = try container.decodeIfPresent(Date.self, forKey: .endedAt)
        pid = try container.decode(Int32.self, forKey: .pid)
        heartbeatAt = try container.decode(Date.self, forKey: .heartbeatAt)
        provenance = try container.decode(Provenance.self, forKey: .provenance)
        if let name = try? container.decode(Executor.Kind.self, forKey: .executor) {
            let options = try container.decodeIfPresent(LegacyExecutorSettings.self, forKey: .executorSettings)
            executor = name == .slurm ? .slurm(options?.slurmOptions ?? SlurmOptions()) : .local
        } else {
            executor = try container.decode(Executor.self, forKey: .executor)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(study, forKey: .study)
        try container.encode(specFile, forKey: .specFile)
        try container.encode(state, forKey: .state)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encodeIfPresent(endedAt, forKey: .endedAt)
        try container.encode(pid, forKey: .pid)
        try container.encode(heartbeatAt, forKey: .heartbeatAt)
        try container.encode(executor, forKey: .executor)
        try container.encode(provenance, forKey: .provenance)
    }
}

/// The executor options as runs of earlier versions wrote them in `run.json`.
private struct LegacyExecutorSettings: Decodable {
    var partition: String?
    var account: String?
    var qos: String?
    var sbatchFlags: [String]?
    var pollInterval: Double?

    var slurmOptions: SlurmOptions {
        SlurmOptions(
            partition: partition, account: account, qos: qos, sbatchFlags: sbatchFlags ?? [],
            pollInterval: pollInterval.flatMap { SlurmOptions.isValidPollInterval($0) ? $0 : nil } ?? SlurmOptions.defaultPollInterval)
    }
}

/// Where a run's results came from: code, tools, machine and environment.
public struct Provenance: Codable, Hashable, Sendable {
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var host: String
    public var ablateVersion: String
    /// Versions of the tools the run uses (`python3`, …), as their `--version` printed them.
    public var toolVersions: [String: String]
    /// A digest of the environment variables the tasks see (values of secrets excluded).
    public var environmentFingerprint: String
    /// The commit each hub repository's revision resolved to (`model ORG/NAME@main`: commit).
    public var hubRevisions: [String: String]?

    public init(
        gitCommit: String?, gitDirty: Bool?, host: String, ablateVersion: String, toolVersions: [String: String],
        environmentFingerprint: String
    ) {
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.host = host
        self.ablateVersion = ablateVersion
        self.toolVersions = toolVersions
        self.environmentFingerprint = environmentFingerprint
    }
}
