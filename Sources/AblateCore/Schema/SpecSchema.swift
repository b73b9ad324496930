import Foundation

/// A JSON Schema (draft 2020-12) of the spec language, generated from the same catalogue the
/// parser checks against, so the two cannot drift apart.
public enum SpecSchema {
    public static func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }

    typealias JSON = SettingValue

    static var document: JSON {
        .map([
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "ablate study spec",
            "description": "A fine-tuning ablation study: models, datasets, defaults, sweep axes and stages.",
            "type": "object",
            "required": .list(["ablate", "name", "stages"]),
            "additionalProperties": false,
            "$defs": .map(["reference": reference, "name": name]),
            "properties": .map([
                "ablate": .map(["const": .int(Spec.currentVersion), "description": "spec language version"]),
                "name": .map(["$ref": "#/$defs/name", "description": "study name; runs go to Runs/<name>/"]),
                "description": .map(["type": "string"]),
                "extends": .map(["anyOf": .list([.map(["type": "string"]), .map(["type": "array", "items": .map(["type": "string"])])])]),
                "models": registry(of: models),
                "datasets": registry(of: datasets),
                "files": registry(of: .map(["type": "string", "description": "a local file or directory, relative to the spec"])),
                "defaults": object(SettingCatalog.all.map { ($0.name, schema(for: $0)) }),
                "sweep": sweep,
                "report": report,
                "executor": executor,
                "tracking": tracking,
                "stages": .map([
                    "type": "object",
                    "minProperties": 1,
                    "propertyNames": .map(["$ref": "#/$defs/name"]),
                    "additionalProperties": .map(["oneOf": .list(StageKind.allCases.map(stage))]),
                ]),
            ]),
        ])
    }

    static let reference: JSON = .map([
        "type": "string", "pattern": "\\$\\{[^}]+\\}",
        "description": "a reference: ${sweep.AXIS}, ${stages.STAGE.OUTPUT}, ${models.NAME} or ${datasets.NAME}",
    ])

    static let name: JSON = .map(["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"])

    static func object(_ properties: [(String, JSON)], required: [String] = []) -> JSON {
        var result: [String: JSON] = [
            "type": "object", "additionalProperties": false,
            "properties": .map(Dictionary(properties, uniquingKeysWith: { first, _ in first })),
        ]
        if !required.isEmpty { result["required"] = .list(required.map { .string($0) }) }
        return .map(result)
    }

    static func registry(of entry: JSON) -> JSON {
        .map(["type": "object", "propertyNames": .map(["$ref": "#/$defs/name"]), "additionalProperties": entry])
    }

    static var models: JSON {
        .map([
            "anyOf": .list([
                .map(["type": "string", "description": "hub id"]),
                object([("hub", .map(["type": "string"])), ("path", .map(["type": "string"])), ("revision", .map(["type": "string"]))]),
            ])
        ])
    }

    static var datasets: JSON {
        object(
            [
                ("hub", .map(["type": "string"])), ("path", .map(["type": "string"])), ("revision", .map(["type": "string"])),
                ("format", .map(["enum": .list(DatasetFormat.allCases.map { .string($0.rawValue) })])),
                ("split", .map(["type": "string"])), ("subset", .map(["type": "string"])),
                ("sample", .map(["type": "integer", "minimum": 1])),
                (
                    "columns",
                    object(DatasetColumn.allCases.map { ($0.rawValue, .map(["type": "string", "minLength": 1])) })
                ),
                ("template", .map(["type": "string", "description": "the prompt assembled from a record's fields, such as {instruction}"])),
            ], required: ["format"])
    }

    static var sweep: JSON {
        let scalar: JSON = .map(["type": .list(["string", "number", "boolean"])])
        let values: JSON = .map(["anyOf": .list([scalar, .map(["type": "array", "items": scalar, "minItems": 1])])])
        let axes: JSON = .map(["type": "object", "propertyNames": .map(["$ref": "#/$defs/name"]), "additionalProperties": values])
        let assignments: JSON = .map(["type": "array", "items": axes])
        return object([
            ("grid", axes),
            ("zip", .map(["anyOf": .list([axes, .map(["type": "array", "items": axes])])])),
            ("seeds", .map(["type": "array", "items": .map(["type": "integer", "minimum": 0]), "minItems": 1])),
            ("include", assignments), ("exclude", assignments),
        ])
    }

    static var report: JSON {
        let column: JSON = .map([
            "anyOf": .list([
                .map(["type": "string"]),
                object(
                    [
                        ("metric", .map(["type": "string", "description": "stage/metric; * matches any text"])),
                        ("label", .map(["type": "string"])), ("scale", .map(["type": "number", "exclusiveMinimum": 0])),
                        ("goal", .map(["enum": .list(["max", "min"])])),
                    ], required: ["metric"]),
            ])
        ])
        let scalar: JSON = .map(["type": .list(["string", "number", "boolean"])])
        let table = object([("title", .map(["type": "string"])), ("columns", .map(["type": "array", "items": column]))], required: ["columns"])
        return object([
            ("columns", .map(["type": "array", "items": column])),
            ("tables", .map(["type": "object", "additionalProperties": table, "description": "further tables of the same rows: report --table NAME"])),
            ("reference", .map(["type": "object", "additionalProperties": scalar])),
            (
                "rows",
                .map(["type": "object", "additionalProperties": .map(["type": "object", "additionalProperties": .map(["type": .list(["string", "null"])])])])
            ),
            ("scatter", object([("x", .map(["type": "string"])), ("y", .map(["type": "string"]))], required: ["x", "y"])),
        ])
    }

    static var tracking: JSON {
        let text: JSON = .map(["type": "string"])
        let toggle: JSON = .map(["type": "boolean"])
        let wandb = object([
            ("project", text), ("entity", text),
            (
                "mode",
                .map(["enum": .list(TrackingSpec.WandB.Mode.allCases.map { .string($0.rawValue) }), "description": "offline: synced when the task ends"])
            ),
        ])
        let mlflow = object([("tracking_uri", text), ("experiment", text)])
        return object([
            ("wandb", .map(["anyOf": .list([toggle, wandb])])), ("mlflow", .map(["anyOf": .list([toggle, mlflow])])), ("tensorboard", toggle),
        ])
    }

    static var executor: JSON {
        let kinds: JSON = .map(["enum": .list(Executor.Kind.allCases.map { .string($0.rawValue) }), "description": "where tasks run"])
        let text: JSON = .map(["type": "string"])
        return .map([
            "anyOf": .list([
                kinds,
                object([
                    ("type", kinds), ("partition", text), ("account", text), ("qos", text),
                    ("sbatch_flags", .map(["type": "array", "items": text, "description": "further sbatch options, one argument each"])),
                    (
                        "poll_interval",
                        .map([
                            "type": "number", "exclusiveMinimum": 0, "maximum": .double(SlurmOptions.maximumPollInterval),
                            "description": "seconds between looks at the queue",
                        ])
                    ),
                ]),
            ])
        ])
    }

    static func stage(_ kind: StageKind) -> JSON {
        let stringOrList: JSON = .map(["anyOf": .list([.map(["type": "string"]), .map(["type": "array", "items": .map(["type": "string"])])])])
        let conditions: JSON = .map([
            "type": "object",
            "additionalProperties": .map([
                "anyOf": .list([
                    .map(["type": .list(["string", "number", "boolean"])]),
                    .map(["type": "array", "items": .map(["type": .list(["string", "number", "boolean"])])]),
                ])
            ]),
        ])
        var properties: [(String, JSON)] = [
            ("kind", .map(["const": .string(kind.rawValue)])),
            ("when", conditions), ("unless", conditions),
            ("args", stringOrList),
            ("env", .map(["type": "object", "additionalProperties": .map(["type": .list(["string", "number", "boolean"])])])),
        ]
        properties += kind.inputRoles.map { ($0.rawValue, .map(["type": "string"])) }
        properties += SettingCatalog.all.filter { $0.kinds.contains(kind) }.map { ($0.name, schema(for: $0)) }
        if kind == .command {
            properties += [
                ("run", .map(["type": "string"])), ("command", stringOrList),
                ("inputs", .map(["type": "object", "additionalProperties": .map(["type": "string"])])),
                ("outputs", stringOrList), ("metric_files", stringOrList), ("gather", stringOrList),
            ]
        }
        var result = object(properties, required: ["kind"] + kind.requiredRoles.map(\.rawValue))
        if kind == .command, case .map(var fields) = result {
            fields["oneOf"] = .list([.map(["required": .list(["run"])]), .map(["required": .list(["command"])])])
            result = .map(fields)
        }
        return result
    }

    static func schema(for definition: SettingDefinition) -> JSON {
        let ref: JSON = .map(["$ref": "#/$defs/reference"])
        func typed(_ schema: [String: JSON]) -> JSON {
            var schema = schema
            schema["description"] = .string(definition.summary)
            return .map(["anyOf": .list([.map(schema), ref]), "description": .string(definition.summary)])
        }
        switch definition.type {
        case .positiveInteger: return typed(["type": "integer", "minimum": 1])
        case .nonNegativeInteger: return typed(["type": "integer", "minimum": 0])
        case .positiveNumber: return typed(["type": "number", "exclusiveMinimum": 0])
        case .nonNegativeNumber: return typed(["type": "number", "minimum": 0])
        case .fraction: return typed(["type": "number", "minimum": 0, "exclusiveMaximum": 1])
        case .bool: return typed(["type": "boolean"])
        case .string: return .map(["type": .list(["string", "number"]), "description": .string(definition.summary)])
        case .path: return typed(["type": "string"])
        case .stringList: return typed(["type": "array", "items": .map(["type": .list(["string", "number"])])])
        case .duration: return typed(["anyOf": .list([.map(["type": "integer", "minimum": 1]), .map(["type": "string", "pattern": "^([0-9]+[dhms])+$"])])])
        case .checkpointInterval:
            return typed([
                "anyOf": .list([
                    .map(["type": "integer", "minimum": 1]), .map(["type": "string", "pattern": "^([0-9]+ steps?|([0-9]+[dhms])+)$"]),
                ])
            ])
        case .memory:
            return typed([
                "anyOf": .list([.map(["type": "integer", "minimum": 1]), .map(["type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?[KMGTkmgt]([iI]?[bB])?$"])])
            ])
        case .choice(let values): return typed(["enum": .list(values.map { .string($0) })])
        case .choiceList(let values): return typed(["type": "array", "items": .map(["enum": .list(values.map { .string($0) })])])
        case .record(let fields):
            var record = object(fields.map { ($0.name, schema(for: $0)) })
            if case .map(var entries) = record {
                entries["description"] = .string(definition.summary)
                record = .map(entries)
            }
            return record
        }
    }
}

extension SettingValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
}
