/// Turns a merged spec document into a `Spec`, reporting every problem of shape or type.
struct SpecParser {
    var files: any LocalFiles

    static let topLevelKeys = [
        "ablate", "name", "description", "models", "datasets", "files", "defaults", "sweep", "stages", "report", "executor", "tracking", "extends",
    ]

    func parse(_ document: SpecNode, file: String, files chain: [String], diagnostics: inout DiagnosticLog) -> Spec? {
        guard let entries = document.mappingEntries("the spec", &diagnostics) else { return nil }
        document.reportUnknownKeys(allowed: Self.topLevelKeys, in: "the spec", &diagnostics)
        let version = parseVersion(document, file: file, &diagnostics)
        let name = parseStudyName(document, file: file, &diagnostics)
        var description: String?
        if let node = document["description"] {
            description = node.stringValue("'description'", &diagnostics)
        }
        let models = parseModels(document["models"], &diagnostics)
        let datasets = parseDatasets(document["datasets"], &diagnostics)
        let files = parseFiles(document["files"], &diagnostics)
        let defaults = parseDefaults(document["defaults"], &diagnostics)
        let sweep = SweepParser().parse(document["sweep"], &diagnostics)
        let report = ReportParser().parse(document["report"], sweep: sweep, &diagnostics)
        let executor = ExecutorParser().parse(document["executor"], &diagnostics)
        let tracking = TrackingParser().parse(document["tracking"], &diagnostics)
        var stages: [StageSpec] = []
        if let stagesNode = document["stages"] {
            stages = StageParser().parseStages(stagesNode, &diagnostics)
        } else {
            let location = entries.first?.keyLocation ?? .start(of: file)
            diagnostics.error(at: location, "the spec has no 'stages:'; add at least one stage, e.g. 'stages: {sft: {kind: sft, model: base, data: lima}}'")
        }
        // A spec with a bad version or name is still returned, so that the cross-reference
        // checks can report their problems in the same pass; the errors above stop any plan.
        var spec = Spec(
            version: version ?? Spec.currentVersion, name: name ?? "unnamed", description: description, file: file, sourceFiles: chain,
            models: models, datasets: datasets, files: files, defaults: defaults, sweep: sweep, stages: stages, report: report, executor: executor)
        spec.tracking = tracking
        return spec
    }

    private func parseVersion(_ document: SpecNode, file: String, _ diagnostics: inout DiagnosticLog) -> Int? {
        guard let node = document["ablate"] else {
            diagnostics.error(
                at: .start(of: file), "the spec does not say which spec version it is written in; add 'ablate: \(Spec.currentVersion)' at the top")
            return nil
        }
        guard case .int(let version)? = SettingValue(scalarNode: node), version == Spec.currentVersion else {
            diagnostics.error(at: node.location, "unsupported spec version \(node.shapeDescription); this ablate reads 'ablate: \(Spec.currentVersion)'")
            return nil
        }
        return version
    }

    private func parseStudyName(_ document: SpecNode, file: String, _ diagnostics: inout DiagnosticLog) -> String? {
        guard let node = document["name"] else {
            diagnostics.error(at: .start(of: file), "the spec has no 'name:'; add one, e.g. 'name: data-impact' (runs go to Runs/<name>/)")
            return nil
        }
        guard let name = node.stringValue("'name'", &diagnostics) else { return nil }
        if let problem = Name.problem(with: name) {
            diagnostics.error(
                at: node.location, "the study name '\(name.truncatedForMessage)' \(problem); it names the run directory, so use letters, digits, '_' and '-'")
            return nil
        }
        return name
    }

    private func parseDefaults(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [String: SpecNode] {
        guard let node, let entries = node.mappingEntries("'defaults'", &diagnostics) else { return [:] }
        var defaults: [String: SpecNode] = [:]
        for entry in entries {
            guard let definition = SettingCatalog.definition(named: entry.key) else {
                let hint = Suggestion.hint(for: entry.key, in: SettingCatalog.all.map(\.name))
                diagnostics.error(
                    at: entry.keyLocation,
                    "unknown setting '\(entry.key)' in 'defaults'\(hint.isEmpty ? "; see 'ablate schema' for the settings each stage kind reads" : hint)")
                continue
            }
            SettingChecker.check(entry.value, as: definition, path: entry.key, &diagnostics)
            defaults[entry.key] = entry.value
        }
        return defaults
    }

    // MARK: Registries

    private func parseModels(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [ModelEntry] {
        guard let node, let entries = node.mappingEntries("'models'", &diagnostics) else { return [] }
        var models: [ModelEntry] = []
        for entry in entries {
            guard checkRegistryName(entry, registry: "model", &diagnostics) else { continue }
            let context = "model '\(entry.key)'"
            // `models: {base: meta-llama/Llama-2-7b-hf}` is shorthand for a hub id.
            if entry.value.scalar != nil, let id = entry.value.stringValue(context, &diagnostics) {
                models.append(ModelEntry(name: entry.key, location: entry.keyLocation, source: .hub(id: id, revision: nil)))
                continue
            }
            guard entry.value.mappingEntries(context, &diagnostics) != nil else { continue }
            entry.value.reportUnknownKeys(allowed: ["hub", "path", "revision"], in: context, &diagnostics)
            guard let source = parseSource(entry, context: context, &diagnostics) else { continue }
            models.append(ModelEntry(name: entry.key, location: entry.keyLocation, source: source))
        }
        return models
    }

    private func parseDatasets(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [DatasetEntry] {
        guard let node, let entries = node.mappingEntries("'datasets'", &diagnostics) else { return [] }
        var datasets: [DatasetEntry] = []
        let allowed = ["hub", "path", "revision", "format", "split", "sample", "subset", "columns", "template"]
        for entry in entries {
            guard checkRegistryName(entry, registry: "dataset", &diagnostics) else { continue }
            let context = "dataset '\(entry.key)'"
            guard entry.value.mappingEntries(context, &diagnostics) != nil else { continue }
            entry.value.reportUnknownKeys(allowed: allowed, in: context, &diagnostics)
            let source = parseSource(entry, context: context, &diagnostics)
            let formats = DatasetFormat.allCases.map(\.rawValue)
            var format: DatasetFormat?
            if let formatNode = entry.value["format"] {
                if let text = formatNode.stringValue("the format of \(context)", &diagnostics) {
                    format = DatasetFormat(rawValue: text)
                    if format == nil {
                        diagnostics.error(
                            at: formatNode.location,
                            "unknown dataset format '\(text.truncatedForMessage)'\(Suggestion.hint(for: text, in: formats).nonEmpty ?? "; use \(formats.quotedList)")"
                        )
                    }
                }
            } else {
                diagnostics.error(at: entry.keyLocation, "\(context) has no 'format:'; add one of \(formats.quotedList)")
            }
            var split = "train"
            if let splitNode = entry.value["split"], let text = splitNode.stringValue("the split of \(context)", &diagnostics) {
                split = text
            }
            var sample: Int?
            if let sampleNode = entry.value["sample"] {
                if case .success(.int(let count)) = SettingValue(scalarNode: sampleNode).map({ SettingType.positiveInteger.check($0) }) {
                    sample = count
                } else {
                    diagnostics.error(
                        at: sampleNode.location,
                        "the sample size of \(context) must be a positive integer (records to keep), not \(sampleNode.shapeDescription)")
                }
            }
            let subset = entry.value["subset"].flatMap { $0.stringValue("the subset of \(context)", &diagnostics) }
            let columnsParser = DatasetColumnsParser(context: context)
            let columns = columnsParser.columns(entry.value["columns"], &diagnostics)
            let template = columnsParser.template(entry.value["template"], &diagnostics)
            guard let source, let format else { continue }
            datasets.append(
                DatasetEntry(
                    name: entry.key, location: entry.keyLocation, source: source, format: format,
                    split: split, sample: sample, subset: subset, columns: columns, template: template))
        }
        return datasets
    }

    /// `files: {train: scripts/train.py}`: paths relative to the file that names them.
    private func parseFiles(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [FileEntry] {
        guard let node, let entries = node.mappingEntries("'files'", &diagnostics) else { return [] }
        var result: [FileEntry] = []
        for entry in entries {
            guard checkRegistryName(entry, registry: "file", &diagnostics),
                let written = entry.value.stringValue("the path of file '\(entry.key)'", &diagnostics)
            else { continue }
            let path = SpecPath.resolve(written, relativeTo: entry.value.location.file)
            if files.kind(of: path) == nil {
                diagnostics.error(
                    at: entry.value.location,
                    "file '\(entry.key)' names '\(written.truncatedForMessage)', which does not exist (looked for \(path)); fix the path")
            }
            result.append(FileEntry(name: entry.key, location: entry.keyLocation, path: path))
        }
        return result
    }

    private func checkRegistryName(_ entry: SpecNode.Entry, registry: String, _ diagnostics: inout DiagnosticLog) -> Bool {
        guard let problem = Name.problem(with: entry.key) else { return true }
        diagnostics.error(at: entry.keyLocation, "the \(registry) name '\(entry.key.truncatedForMessage)' \(problem); rename it")
        return false
    }

    /// `hub: id` (with an optional `revision:`) or `path: ./local`, exactly one of them.
    private func parseSource(_ entry: SpecNode.Entry, context: String, _ diagnostics: inout DiagnosticLog) -> ArtifactSource? {
        let hub = entry.value["hub"]
        let path = entry.value["path"]
        switch (hub, path) {
        case (let hub?, nil):
            guard let id = hub.stringValue("the hub id of \(context)", &diagnostics) else { return nil }
            let revision = entry.value["revision"].flatMap { $0.stringValue("the revision of \(context)", &diagnostics) }
            return .hub(id: id, revision: revision)
        case (nil, let path?):
            guard let written = path.stringValue("the path of \(context)", &diagnostics) else { return nil }
            guard !written.contains("\0") else {
                diagnostics.error(at: path.location, "the path of \(context) contains a NUL character")
                return nil
            }
            let absolute = SpecPath.resolve(written, relativeTo: path.location.file)
            // The entry stays registered so that stages using it are not reported again.
            if files.kind(of: absolute) == nil {
                diagnostics.error(
                    at: path.location,
                    "\(context) names the local path '\(written.truncatedForMessage)', which does not exist (looked for \(absolute)); fix the path or use 'hub:' for a hub id"
                )
            }
            return .local(path: absolute, written: written)
        case (_?, _?):
            diagnostics.error(at: entry.keyLocation, "\(context) has both 'hub:' and 'path:'; keep one")
            return nil
        case (nil, nil):
            diagnostics.error(at: entry.keyLocation, "\(context) says neither where it comes from; add 'hub: ORG/NAME' or 'path: ./local/path'")
            return nil
        }
    }
}
