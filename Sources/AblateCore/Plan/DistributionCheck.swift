/// Checks how a task spreads over GPUs and machines: the combinations of `resources:` and
/// `distributed:` that cannot run are errors at the setting that makes them so, and those that
/// run but leave what they ask for unused are warnings.
struct DistributionCheck {
    let spec: Spec
    let stage: StageSpec

    /// False after reporting an error.
    func check(_ resources: TaskResources, settings: [String: SettingValue], _ diagnostics: inout DiagnosticLog) -> Bool {
        let descriptor = stage.kind.descriptor
        let subject = "stage '\(stage.name)' (kind '\(stage.kind.rawValue)')"
        var valid = true
        if resources.nodes > 1 {
            let location = location(of: "resources", field: "nodes")
            if !descriptor.trainsOnSeveralProcesses {
                diagnostics.error(
                    at: location,
                    "\(subject) runs as one process on one machine, so it cannot span \(resources.nodes) nodes; nodes is for the trainers "
                        + "that run one process per GPU (\(Self.multiProcessKinds)): set nodes: 1")
                valid = false
            } else if resources.gpus == 0 {
                diagnostics.error(
                    at: location,
                    "\(subject) spans \(resources.nodes) nodes without GPUs: a task on several nodes trains with one process per GPU; "
                        + "give resources.gpus, the GPUs on each node (gpus: 8 with nodes: 2 is 16 processes)")
                valid = false
            }
        } else if resources.gpus > 1, let runner = descriptor.runner, !runner.placesModelAcrossGPUs, !descriptor.trainsOnSeveralProcesses,
            !descriptor.samplesOnSeveralGPUs
        {
            diagnostics.warning(
                at: location(of: "resources", field: "gpus"),
                "\(subject) runs as one process on one GPU, so \(resources.gpus - 1) of its \(resources.gpus) GPUs stay idle; "
                    + "set gpus: 1 (several GPUs train as one process each in \(Self.multiProcessKinds), and sample in \(Self.samplingKinds))")
        }
        if settings["placement"] != nil, resources.gpus <= 1 {
            diagnostics.warning(
                at: location(of: "placement", field: nil),
                "\(subject) has \(resources.gpus == 0 ? "no GPU" : "one GPU"), so placement has no effect; give resources.gpus: 2 or more")
        }
        guard case .map(let distributed)? = settings["distributed"] else { return valid }
        let strategy = distributed["strategy"]?.text ?? "ddp"
        if strategy == "deepspeed", distributed["config"] == nil {
            diagnostics.error(
                at: location(of: "distributed", field: "strategy"),
                "\(subject): the deepspeed strategy needs distributed.config, a DeepSpeed JSON file (its zero_optimization stage and the rest); "
                    + "add config: ds_config.json, or use strategy: fsdp")
            valid = false
        }
        if strategy == "ddp", distributed["config"] != nil {
            diagnostics.error(
                at: location(of: "distributed", field: "config"),
                "\(subject): distributed.config is read by the fsdp and deepspeed strategies, and this stage uses ddp; "
                    + "set strategy: fsdp or deepspeed, or leave config out")
            valid = false
        }
        if descriptor.launchedProcesses(resources, settings: settings) == nil {
            diagnostics.warning(
                at: location(of: "distributed", field: nil),
                "\(subject) runs as one process (gpus: \(resources.gpus), nodes: 1), so distributed has no effect; "
                    + "give resources.gpus: 2 or more to train on several processes")
        }
        return valid
    }

    private static let multiProcessKinds = StageKinds.table.filter(\.trainsOnSeveralProcesses).map(\.kind.rawValue).joined(separator: ", ")
    private static let samplingKinds = StageKinds.table.filter(\.samplesOnSeveralGPUs).map(\.kind.rawValue).joined(separator: ", ")

    /// Where a setting (or one of its fields) is written: in the stage, else in `defaults:`.
    private func location(of setting: String, field: String?) -> SourceLocation {
        for node in [stage.settings[setting], spec.defaults[setting]].compactMap({ $0 }) {
            guard let field else { return node.location }
            if let fieldNode = node[field] { return fieldNode.location }
        }
        return stage.settings[setting]?.location ?? stage.location
    }
}
