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
    /// `local` or `slurm`.
    public var executor: String
    /// The executor and its options as this run last used them (a resume keeps them).
    public var executorSettings: ExecutorSpec?
    public var provenance: Provenance

    public init(
        id: String, study: String, specFile: String, state: State, createdAt: Date, endedAt: Date? = nil, pid: Int32,
        heartbeatAt: Date, executor: String, provenance: Provenance
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
