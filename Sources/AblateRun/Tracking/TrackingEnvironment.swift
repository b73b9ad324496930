import AblateCore
import AblateStore
import Foundation

/// What a training task is told about the experiment trackers: `ABLATE_TRACKING`, a JSON object
/// the runners read (`ablate_runners/tracking.py`). The task's tracker run is named after the
/// study and the task, grouped by the run, tagged with the task's sweep values and fingerprint,
/// and keyed by one id per task of the run, so that every attempt — a retry, a resume, a Slurm
/// requeue — continues the same tracker run. It is an environment variable, not a flag: the
/// command and the fingerprint stay as they were, and turning tracking on retrains nothing.
public struct TrackingEnvironment: Sendable {
    static let variable = "ABLATE_TRACKING"

    let tracking: TrackingSpec
    let layout: RunLayout
    let study: String

    /// The id of a task's tracker run: the same for every attempt of this version of the task in
    /// this run (a task whose fingerprint changed, after `resume --spec`, is another tracker run).
    public static func trackerID(run: String, task: String, fingerprint: Fingerprint) -> String {
        String(Digest.sha256Hex(of: Array("\(run)/\(task)/\(fingerprint.value)".utf8)).prefix(16))
    }

    /// The tags of a task's tracker run (and of its MLflow export): the study, run, task, stage
    /// and fingerprint, and each sweep value as `sweep.AXIS`.
    static func tags(study: String, run: String, task: String, stage: String, fingerprint: Fingerprint, axisValues: [AxisValue]) -> [String: String] {
        var tags = [
            "ablate.study": study, "ablate.run": run, "ablate.task": task, "ablate.stage": stage, "ablate.fingerprint": fingerprint.value,
        ]
        for value in axisValues { tags["sweep." + value.axis] = value.value.text }
        return tags
    }

    /// Where MLflow records, when the spec does not say: `MLFLOW_TRACKING_URI`, else a SQLite
    /// store beside the runs.
    public static func mlflowURI(_ settings: TrackingSpec.MLflow, runsDirectory: String, environment: [String: String]) -> String {
        settings.trackingURI ?? environment["MLFLOW_TRACKING_URI"] ?? "sqlite:///\(runsDirectory)/mlflow.db"
    }

    /// The variable's value for `task`; nil for a task that reports to no tracker.
    func value(for task: PlannedTask) -> String? {
        guard !tracking.isEmpty, TrackingSpec.trackedKinds.contains(task.kind) else { return nil }
        let directory = layout.taskDirectory(task.id)
        let tags = Self.tags(
            study: study, run: layout.runID, task: task.id, stage: task.stage, fingerprint: task.fingerprint, axisValues: task.axisValues)
        var object: [String: Any] = [
            "run_name": "\(study)/\(task.id)", "group": "\(study)/\(layout.runID)",
            "tracker_id": Self.trackerID(run: layout.runID, task: task.id, fingerprint: task.fingerprint),
            "tags": tags,
        ]
        object["wandb"] =
            tracking.wandb.map { settings -> [String: Any] in
                ["project": settings.project ?? study, "entity": settings.entity ?? NSNull(), "mode": settings.mode.rawValue, "dir": directory]
            } ?? NSNull()
        object["mlflow"] =
            tracking.mlflow.map { settings -> [String: Any] in
                [
                    "tracking_uri": Self.mlflowURI(settings, runsDirectory: layout.runsDirectory, environment: ProcessInfo.processInfo.environment),
                    "experiment": settings.experiment ?? study,
                ]
            } ?? NSNull()
        object["tensorboard"] = tracking.tensorboard ? ["dir": directory + "/tensorboard"] : NSNull()
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
