import AblateCore
import AblateTestSupport
import Foundation
import Testing

/// The table of stage kinds is complete and consistent, the runners' manifest is derived from
/// it, and the runners accept every flag ablate emits for every kind.
@Suite struct StageKindsTests {
    @Test func everyKindHasOneDescriptorWhoseSettingsAndDefaultsExist() throws {
        #expect(StageKinds.table.map(\.kind) == StageKind.allCases)
        for descriptor in StageKinds.table {
            for name in descriptor.settings { #expect(SettingCatalog.definition(named: name) != nil, "\(descriptor.kind): \(name)") }
            for name in descriptor.requiredSettings { #expect(descriptor.settings.contains(name) && descriptor.defaults[name] == nil) }
            for (path, value) in descriptor.defaults {
                let parts = path.split(separator: ".").map(String.init)
                #expect(descriptor.settings.contains(parts[0]), "\(descriptor.kind) has a default for \(path), which it does not read")
                var definition = SettingCatalog.definition(named: parts[0])
                if parts.count == 2, case .record(let fields)? = definition?.type { definition = fields.first { $0.name == parts[1] } }
                let checked = try #require(definition, "\(descriptor.kind): \(path)").type.check(value)
                if case .failure(let error) = checked { Issue.record("\(descriptor.kind): the default of \(path): \(error)") }
            }
            #expect(Set(descriptor.requiredInputs).isSubset(of: Set(descriptor.inputs.map(\.role))))
            #expect(Set(descriptor.modelOutputs).isSubset(of: Set(descriptor.outputs)))
            if let runner = descriptor.runner {
                let module = RunnerPackage.directory + "/ablate_runners/" + runner.module + ".py"
                #expect(FileManager.default.fileExists(atPath: module), "\(descriptor.kind) runs \(module)")
                #expect(FileManager.default.fileExists(atPath: RunnerPackage.requirements(of: runner.environment)))
            }
        }
    }

    @Test func theCheckedInManifestIsTheOneTheTableGives() throws {
        let path = RunnerPackage.directory + "/ablate_runners/manifest.json"
        let checkedIn = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            checkedIn == String(decoding: try RunnerManifest.json(), as: UTF8.self),
            "regenerate it: swift run ablate schema --runner-manifest > Runners/ablate_runners/manifest.json")
    }

    @Test func theIndexRecordsTheValuesThatRunIncludingTheRunnersDefaults() {
        let sft = StageKind.sft.descriptor
        let effective = sft.effectiveSettings(["lora": .map(["r": .int(8)]), "epochs": .int(3)])
        #expect(effective["lora"] == .map(["r": .int(8), "dropout": .double(0)]))
        #expect(effective["epochs"] == .int(3), "what the spec says wins")
        #expect(effective["batch_size"] == .int(8) && effective["seed"] == .int(0))
        #expect(StageKind.command.descriptor.effectiveSettings(["seed": .int(1)]) == ["seed": .int(1)])
    }

    // MARK: The contract between the Swift and Python sides

    /// A value of a setting's type, for a spec that sets everything.
    private static func sample(_ type: SettingType) -> Any? {
        switch type {
        case .positiveInteger: return 3
        case .nonNegativeInteger: return 2
        case .positiveNumber, .nonNegativeNumber: return 0.5
        case .fraction: return 0.25
        case .bool: return true
        case .string: return "abc"
        case .path: return "task-dir"
        case .stringList: return ["a", "b"]
        case .choice(let values): return values.first
        case .choiceList(let values): return Array(values.prefix(2))
        case .record(let fields): return Dictionary(uniqueKeysWithValues: fields.compactMap { field in sample(field.type).map { (field.name, $0) } })
        case .duration, .memory, .checkpointInterval: return nil
        }
    }

    /// One stage per built-in kind, with every input it takes and every setting it reads that
    /// reaches its runner; datasets of every format, each with a subset and a sample size.
    private static var everySettingOfEveryKind: [String: Any] {
        var datasets: [String: Any] = [:]
        for format in DatasetFormat.allCases {
            datasets["d-" + format.rawValue] = [
                "path": "data.jsonl", "format": format.rawValue, "split": "test", "subset": "s", "sample": 5,
                "columns": ["prompt": "question", "completion": "response", "system": "system_prompt"], "template": "{question}\n\n{input}",
            ]
        }
        var stages: [String: Any] = [:]
        for descriptor in StageKinds.table where descriptor.runner != nil {
            var stage: [String: Any] = ["kind": descriptor.kind.rawValue]
            for input in descriptor.inputs {
                switch input.role.target {
                case .model: stage[input.role.rawValue] = "base"
                case .data: stage[input.role.rawValue] = "d-" + (input.formats?.first ?? .messages).rawValue
                }
            }
            for name in descriptor.settings where !["resources", "retries", "python"].contains(name) {
                stage[name] = SettingCatalog.definition(named: name).flatMap { sample($0.type) }
            }
            // A config file is for the strategies that read one.
            if descriptor.settings.contains("distributed") { stage["distributed"] = ["strategy": "fsdp", "config": "task-dir"] }
            stages[descriptor.kind.rawValue] = stage
        }
        return ["ablate": 1, "name": "contract", "models": ["base": ["path": "base-model"]], "datasets": datasets, "stages": stages]
    }

    @Test func everyRunnerAcceptsEveryFlagAblateEmitsForItsKind() async throws {
        // JSON is YAML: the spec is written from the dictionary as it is.
        let yaml = String(decoding: try JSONSerialization.data(withJSONObject: Self.everySettingOfEveryKind, options: [.sortedKeys]), as: UTF8.self)
        let plan = try Compile.plan(yaml, files: ["base-model/config.json": "{}", "data.jsonl": "{}\n", "task-dir/task.yaml": "task: t\n"])
        var cases: [[String: Any]] = []
        for descriptor in StageKinds.table where descriptor.runner != nil {
            let task = try #require(plan.tasks.first { $0.stage == descriptor.kind.rawValue })
            let arguments = task.command.arguments.map(\.display)
            #expect(arguments[1] == "-m" && arguments[2] == "ablate_runners." + (descriptor.runner?.module ?? ""))
            cases.append(["kind": descriptor.kind.rawValue, "arguments": Array(arguments.dropFirst(3))])
        }
        let directory = Scratch.path("contract")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let casesPath = directory + "/cases.json"
        try JSONSerialization.data(withJSONObject: cases, options: [.sortedKeys]).write(to: URL(fileURLWithPath: casesPath))
        let (status, output) = try await Python.run(["-m", "ablate_runners.contract", casesPath], variables: ["PYTHONPATH=" + RunnerPackage.directory])
        #expect(status == 0, "\(output)")
        let lines = output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count == cases.count, "one verdict per kind: \(output)")
    }
}
