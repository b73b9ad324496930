import AblateCore
import AblateStore
import Foundation

/// The document `ablate export mlflow` hands to `ablate_runners.export_mlflow`: every task of a
/// run, from the run's files (the truth the index is built from): its kind, state, fingerprint,
/// params (the settings it ran with, flattened as the index flattens them), scalar metrics, metric
/// series, the paths of its outputs, and tags that name the study, run, task and sweep values.
public struct MLflowExport: Sendable {
    public let layout: RunLayout
    public let study: String
    public let experiment: String

    public init(layout: RunLayout, study: String, experiment: String) {
        self.layout = layout
        self.study = study
        self.experiment = experiment
    }

    /// The JSON document, keys sorted.
    public func document() throws -> Data {
        let plan = try FileManager.default.contents(atPath: layout.planFile).map { try JSONDecoder().decode(Plan.self, from: $0) }
        let planned = Dictionary(uniqueKeysWithValues: (plan?.tasks ?? []).map { ($0.id, $0) })
        var tasks: [[String: Any]] = []
        for record in try layout.taskRecords() {
            let tags = TrackingEnvironment.tags(
                study: study, run: layout.runID, task: record.id, stage: record.stage, fingerprint: record.fingerprint,
                axisValues: planned[record.id]?.axisValues ?? [])
            let metrics = try layout.readMetricsRecord(record.id) ?? MetricsRecord()
            tasks.append([
                "task": record.id, "stage": record.stage, "kind": record.kind.rawValue, "state": record.state.rawValue,
                "fingerprint": record.fingerprint.value, "tags": tags,
                "params": Dictionary(RunIndex.flattened(record.settings), uniquingKeysWith: { first, _ in first }),
                "metrics": metrics.scalars.mapValues { $0.value.map { $0 as Any } ?? NSNull() },
                "series": metrics.series.mapValues { points in points.map { [$0.step, $0.value.map { $0 as Any } ?? NSNull()] } },
                "artifacts": record.outputs,
            ])
        }
        let document: [String: Any] = ["study": study, "run": layout.runID, "experiment": experiment, "tasks": tasks]
        return try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
    }
}
