/// The spec's `tracking:` section: the experiment trackers the training stages report to, besides
/// ablate's own files. Not part of any fingerprint: turning a tracker on retrains nothing.
public struct TrackingSpec: Sendable, Hashable, Codable {
    /// The trackers, as `--tracking` names them.
    public enum Tracker: String, CaseIterable, Sendable, Codable {
        case wandb, mlflow, tensorboard
    }

    /// Weights & Biases.
    public struct WandB: Sendable, Hashable, Codable {
        /// Where a run's data goes while the task trains.
        public enum Mode: String, CaseIterable, Sendable, Codable {
            /// Straight to the server (the task's machine needs the network).
            case online
            /// Into the task's directory, uploaded from the submitting machine when the task ends.
            case offline
        }

        /// Default: the study's name.
        public var project: String?
        public var entity: String?
        public var mode: Mode = .offline

        public init(project: String? = nil, entity: String? = nil, mode: Mode = .offline) {
            self.project = project
            self.entity = entity
            self.mode = mode
        }
    }

    /// An MLflow tracking server or store.
    public struct MLflow: Sendable, Hashable, Codable {
        /// Default: `MLFLOW_TRACKING_URI`, else a SQLite store beside the runs (`<runs>/mlflow.db`).
        public var trackingURI: String?
        /// Default: the study's name.
        public var experiment: String?

        public init(trackingURI: String? = nil, experiment: String? = nil) {
            self.trackingURI = trackingURI
            self.experiment = experiment
        }
    }

    public var wandb: WandB?
    public var mlflow: MLflow?
    public var tensorboard = false

    /// The stages that report to trackers: the trainers.
    public static let trackedKinds: Set<StageKind> = [.sft, .reward, .dpo, .ppo]

    public init(wandb: WandB? = nil, mlflow: MLflow? = nil, tensorboard: Bool = false) {
        self.wandb = wandb
        self.mlflow = mlflow
        self.tensorboard = tensorboard
    }

    /// No tracker is on.
    public var isEmpty: Bool { wandb == nil && mlflow == nil && !tensorboard }

    /// The trackers `--tracking` names, each with the spec's settings where it has them;
    /// `none` (an empty list) turns every tracker off.
    public func keeping(only trackers: Set<Tracker>) -> TrackingSpec {
        TrackingSpec(
            wandb: trackers.contains(.wandb) ? wandb ?? WandB() : nil, mlflow: trackers.contains(.mlflow) ? mlflow ?? MLflow() : nil,
            tensorboard: trackers.contains(.tensorboard))
    }
}

/// Reads `tracking: {wandb: {project, entity, mode}, mlflow: {tracking_uri, experiment}, tensorboard: true}`;
/// `wandb: true` and `mlflow: true` take the defaults.
struct TrackingParser {
    func parse(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> TrackingSpec {
        var tracking = TrackingSpec()
        guard let node, node.mappingEntries("'tracking'", &diagnostics) != nil else { return tracking }
        node.reportUnknownKeys(allowed: TrackingSpec.Tracker.allCases.map(\.rawValue), in: "'tracking'", &diagnostics)
        if let wandb = node["wandb"], section(wandb, "wandb", keys: ["project", "entity", "mode"], &diagnostics) {
            var settings = TrackingSpec.WandB()
            if wandb.entries != nil {
                settings.project = wandb["project"]?.stringValue("'tracking.wandb.project'", &diagnostics)
                settings.entity = wandb["entity"]?.stringValue("'tracking.wandb.entity'", &diagnostics)
                if let mode = wandb["mode"], let text = mode.stringValue("'tracking.wandb.mode'", &diagnostics) {
                    if let known = TrackingSpec.WandB.Mode(rawValue: text) {
                        settings.mode = known
                    } else {
                        let modes = TrackingSpec.WandB.Mode.allCases.map(\.rawValue)
                        diagnostics.error(
                            at: mode.location,
                            "'tracking.wandb.mode' must be \(modes.quotedList), not '\(text.truncatedForMessage)'\(Suggestion.hint(for: text, in: modes))")
                    }
                }
            }
            tracking.wandb = settings
        }
        if let mlflow = node["mlflow"], section(mlflow, "mlflow", keys: ["tracking_uri", "experiment"], &diagnostics) {
            var settings = TrackingSpec.MLflow()
            if mlflow.entries != nil {
                settings.trackingURI = mlflow["tracking_uri"]?.stringValue("'tracking.mlflow.tracking_uri'", &diagnostics)
                settings.experiment = mlflow["experiment"]?.stringValue("'tracking.mlflow.experiment'", &diagnostics)
            }
            tracking.mlflow = settings
        }
        if let tensorboard = node["tensorboard"] {
            if case .bool(let on)? = SettingValue(scalarNode: tensorboard) {
                tracking.tensorboard = on
            } else {
                diagnostics.error(at: tensorboard.location, "'tracking.tensorboard' must be true or false, not \(tensorboard.shapeDescription)")
            }
        }
        return tracking
    }

    /// Whether a tracker's entry turns it on: `true`, or a mapping of its settings (checked
    /// against `keys`); `false` turns it off.
    private func section(_ node: SpecNode, _ name: String, keys: [String], _ diagnostics: inout DiagnosticLog) -> Bool {
        if node.scalar != nil {
            if case .bool(let on)? = SettingValue(scalarNode: node) { return on }
            diagnostics.error(at: node.location, "'tracking.\(name)' must be true, false or a mapping of \(keys.quotedList), not \(node.shapeDescription)")
            return false
        }
        guard node.mappingEntries("'tracking.\(name)'", &diagnostics) != nil else { return false }
        node.reportUnknownKeys(allowed: keys, in: "'tracking.\(name)'", &diagnostics)
        return true
    }
}
