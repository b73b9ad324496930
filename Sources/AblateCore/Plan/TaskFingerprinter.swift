/// Computes a task's fingerprint from the keys `Fingerprint.Key` lists, in that order.
struct TaskFingerprinter {
    let taskFingerprints: [String: Fingerprint]
    let fileDigests: [String: String]

    func fingerprint(
        kind: StageKind, settings: [String: SettingValue], command: TaskCommand, environment: TaskEnvironment,
        inputs: [InputRole: ResolvedInput]
    ) -> Fingerprint {
        var builder = FingerprintBuilder()

        var kindEncoding = CanonicalEncoding()
        kindEncoding.string(kind.rawValue)
        builder.add(.kind, kindEncoding)

        var settingsEncoding = CanonicalEncoding()
        // A path setting is identified by its content, not by where the checkout lives.
        var identifiedSettings = settings
        for (name, value) in settings {
            if case .string(let path) = value, case .path? = SettingCatalog.definition(named: name)?.type {
                identifiedSettings[name] = .string("file:\(fileDigests[path] ?? path)")
            }
        }
        settingsEncoding.value(.map(identifiedSettings))
        builder.add(.settings, settingsEncoding)

        var commandEncoding = CanonicalEncoding()
        for argument in command.arguments {
            commandEncoding.argument(argument, taskFingerprints: taskFingerprints, fileDigests: fileDigests)
        }
        builder.add(.command, commandEncoding)

        var environmentEncoding = CanonicalEncoding()
        environmentEncoding.string(environment.identity)
        for variable in command.environment.sorted(by: { $0.name < $1.name }) {
            environmentEncoding.string(variable.name)
            environmentEncoding.argument(variable.value, taskFingerprints: taskFingerprints, fileDigests: fileDigests)
        }
        builder.add(.environment, environmentEncoding)

        var inputsEncoding = CanonicalEncoding()
        var files: [String] = []
        for role in InputRole.allCases {
            guard let input = inputs[role] else { continue }
            inputsEncoding.string(role.rawValue)
            inputsEncoding.string(identity(of: input, files: &files))
        }
        builder.add(.inputs, inputsEncoding)

        files += command.localPaths
        var filesEncoding = CanonicalEncoding()
        for digest in Set(files.map { fileDigests[$0] ?? "missing:\($0)" }).sorted() {
            filesEncoding.string(digest)
        }
        builder.add(.files, filesEncoding)
        return builder.finish()
    }

    /// What an input is, independent of where it lives on this machine.
    private func identity(of input: ResolvedInput, files: inout [String]) -> String {
        func source(_ source: ArtifactSource) -> String {
            switch source {
            case .hub(let id, let revision): return "hub:\(id)@\(revision ?? "default")"
            case .local(let path, _):
                files.append(path)
                return "file:\(fileDigests[path] ?? path)"
            }
        }
        switch input {
        case .model(let model): return "model:" + source(model.source)
        case .dataset(let dataset):
            // Columns and template enter only when given, so that datasets without them keep their identity.
            let mapping = dataset.columns.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue)=\($0.value)" }.joined(separator: ",")
            let shaping = mapping.isEmpty && dataset.template == nil ? "" : "|columns:\(mapping)|template:\(dataset.template ?? "")"
            return
                "dataset:\(source(dataset.source))|\(dataset.format.rawValue)|\(dataset.split)|\(dataset.sample.map(String.init) ?? "all")|\(dataset.subset ?? "")"
                + shaping
        case .taskOutput(let task, let output):
            return "task:\(taskFingerprints[task]?.value ?? task)/\(output)"
        }
    }
}
