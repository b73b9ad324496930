import Foundation

/// The manifest the Python runners load (`Runners/ablate_runners/manifest.json`): for every
/// built-in kind, its runner, the flags ablate passes it (inputs and settings, with their types,
/// choices and defaults) and the dataset formats each input accepts. It is derived from
/// `StageKinds.table`, so the two sides read one description; a test keeps the checked-in file
/// equal to this.
public enum RunnerManifest {
    public static let version = 1

    /// The manifest as pretty-printed JSON with sorted keys.
    public static func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(Document())
        data.append(UInt8(ascii: "\n"))
        return data
    }

    struct Document: Encodable {
        var version = RunnerManifest.version
        var generatedBy = "ablate schema --runner-manifest (from the stage kinds table); do not edit"
        var formats = DatasetFormat.allCases.map(\.rawValue)
        var kinds: [String: Kind] = Dictionary(
            uniqueKeysWithValues: StageKinds.table.compactMap { descriptor in descriptor.runner.map { (descriptor.kind.rawValue, Kind(descriptor, $0)) } })
    }

    struct Kind: Encodable {
        var module: String
        var environment: String
        /// Where `--output` points: the task's output directory, or its `metrics` output.
        var output: String
        var inputs: [Input]
        var settings: [Setting]

        init(_ descriptor: StageKindDescriptor, _ runner: StageKindDescriptor.Runner) {
            module = runner.module
            environment = runner.environment
            output = runner.outputsUnderMetrics ? "metrics" : "."
            inputs = descriptor.inputs.map(Input.init)
            settings = SettingCatalog.names(for: descriptor.kind).filter(RunnerRecipe.isPassed).flatMap { name -> [Setting] in
                guard let definition = SettingCatalog.definition(named: name) else { return [] }
                if case .record(let fields) = definition.type {
                    return fields.map { Setting(path: name + "." + $0.name, definition: $0, defaults: descriptor.defaults) }
                }
                return [Setting(path: name, definition: definition, defaults: descriptor.defaults)]
            }
        }
    }

    struct Input: Encodable {
        var role: String
        var flag: String
        var required: Bool
        /// Whether `-format`, `-split`, `-subset` and `-sample` flags come with it.
        var dataset: Bool
        var formats: [String]?

        init(_ input: StageKindDescriptor.Input) {
            role = input.role.rawValue
            flag = "--" + RunnerRecipe.flagName(input.role.rawValue)
            required = input.required
            dataset = input.role.readsDataset
            formats = input.formats?.map(\.rawValue)
        }
    }

    struct Setting: Encodable {
        /// The spec's name (`lora.r` for a field of a record).
        var name: String
        var flag: String
        /// argparse's destination: the flag without dashes, `_` for `-`.
        var dest: String
        /// `int`, `float`, `bool` (`true`/`false`) or `str`.
        var type: String
        /// One value or several (`nargs="+"`).
        var list: Bool
        var choices: [String]?
        var `default`: SettingValue?

        init(path: String, definition: SettingDefinition, defaults: [String: SettingValue]) {
            name = path
            let joined = path.replacingOccurrences(of: ".", with: "_")
            flag = "--" + RunnerRecipe.flagName(joined)
            dest = joined
            (type, list, choices) = Self.shape(of: definition.type)
            `default` = defaults[path]
        }

        private static func shape(of type: SettingType) -> (String, Bool, [String]?) {
            switch type {
            case .positiveInteger, .nonNegativeInteger: return ("int", false, nil)
            case .positiveNumber, .nonNegativeNumber, .fraction: return ("float", false, nil)
            case .bool: return ("bool", false, ["true", "false"])
            case .string, .path, .duration, .memory, .checkpointInterval, .record: return ("str", false, nil)
            case .choice(let values): return ("str", false, values)
            case .stringList: return ("str", true, nil)
            case .choiceList(let values): return ("str", true, values)
            }
        }
    }
}
