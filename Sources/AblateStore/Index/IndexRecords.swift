import AblateCore
import Foundation
import GRDB

// One Codable record per table of the run index; `Columns` name the columns queries use.
// States and kinds are enums stored as their names.

extension RunRecord.State: DatabaseValueConvertible {}
extension TaskRecord.State: DatabaseValueConvertible {}
extension StageKind: DatabaseValueConvertible {}
extension Executor.Kind: DatabaseValueConvertible {}

/// A row of `run`: one run of a study.
public struct RunRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "run"
    public var id: String
    public var study: String
    public var specFile: String
    public var state: RunRecord.State
    public var createdAt: Date
    public var endedAt: Date?
    public var pid: Int32
    public var heartbeatAt: Date
    public var executor: Executor.Kind

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let createdAt = Column(CodingKeys.createdAt)
    }
}

/// A row of `provenance`: one fact about where a run's results came from.
public struct ProvenanceRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "provenance"
    public var runId: String
    public var key: String
    public var value: String
}

/// A row of `attempt`: one try at running a task.
public struct AttemptRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "attempt"
    public var runId: String
    public var taskId: String
    public var number: Int
    public var state: TaskRecord.State
    public var startedAt: Date
    public var endedAt: Date?
    public var pid: Int32?
    /// The Slurm job of the attempt, for the Slurm executor.
    public var jobId: String?
    public var exitCode: Int32?
    public var signal: Int32?
    public var timedOut: Bool
    /// The GPUs the attempt held; nil where its record does not say.
    public var gpus: Int?
}

/// A row of `param`: one resolved setting of a task (nested settings flattened: `lora.r`).
public struct ParamRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "param"
    public var runId: String
    public var taskId: String
    public var name: String
    public var value: String
}

/// A row of `metric`: a final scalar a task measured.
public struct MetricRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "metric"
    public var runId: String
    public var taskId: String
    public var name: String
    public var value: Double?
    public var stderr: Double?

    public enum Columns {
        public static let runId = Column(CodingKeys.runId)
        public static let name = Column(CodingKeys.name)
    }
}

/// A row of `metricPoint`: one step of a metric series.
public struct MetricPointRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "metricPoint"
    public var runId: String
    public var taskId: String
    public var name: String
    public var step: Int
    public var value: Double?
}

/// A row of `variant`: one combination of sweep values of a run, in sweep order.
public struct VariantRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "variant"
    public var runId: String
    public var name: String
    public var position: Int
    /// The axis values as a JSON object.
    public var axisValues: String

    public init(runId: String, name: String, position: Int, axisValues: String) {
        self.runId = runId
        self.name = name
        self.position = position
        self.axisValues = axisValues
    }
}

/// A row of `variantTask`: the task that plays a stage in a variant.
public struct VariantTaskRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "variantTask"
    public var runId: String
    public var variant: String
    public var stage: String
    public var taskId: String
}

/// A row of `artifact`: an output of a task and where it is.
public struct ArtifactRow: Codable, Hashable, FetchableRecord, PersistableRecord, Sendable {
    public static let databaseTableName = "artifact"
    public var runId: String
    public var taskId: String
    public var name: String
    public var path: String
}
