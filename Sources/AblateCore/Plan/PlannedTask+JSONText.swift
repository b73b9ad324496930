// The plan's tasks and variants as JSON text, member for member what their `Encodable`
// conformances write (PlanJSONTextTests compares the two byte for byte). Members are written
// in sorted key order; optional members that are nil are left out, as the synthesized
// conformances leave them out.

extension PlannedTask: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("axisValues")
        try json.array(axisValues)
        if let checkpoint {
            json.key("checkpoint")
            checkpoint.write(to: &json)
        }
        json.key("command")
        try command.write(to: &json)
        json.key("environment")
        json.string(environment.identity)
        json.key("fingerprint")
        fingerprint.write(to: &json)
        json.member("hubAccess", hubAccess?.rawValue)
        json.key("id")
        json.string(id)
        json.key("inputs")
        try json.array(inputs)
        json.key("kind")
        json.string(kind.rawValue)
        json.key("metricFiles")
        json.array(metricFiles)
        json.key("outputs")
        json.array(outputs)
        json.member("placement", placement?.rawValue)
        if let requiredOutputs {
            json.key("requiredOutputs")
            json.array(requiredOutputs)
        }
        json.key("resources")
        resources.write(to: &json)
        json.key("retries")
        json.int(retries)
        json.key("settings")
        try json.object(settings) { json, value in try value.write(to: &json) }
        json.key("stage")
        json.string(stage)
        json.key("temporaryOutputs")
        json.bool(temporaryOutputs)
        json.key("variants")
        json.array(variants)
        json.endObject()
    }
}

extension PlannedVariant: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("name")
        json.string(name)
        json.key("tasks")
        json.array(tasks) { json, task in json.object("stage", task.stage, "task", task.task) }
        json.key("values")
        try json.array(values)
        json.endObject()
    }
}

extension AxisValue: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("axis")
        json.string(axis)
        json.key("value")
        try value.write(to: &json)
        json.endObject()
    }
}

extension SettingValue: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        switch self {
        case .string(let value): json.string(value)
        case .int(let value): json.int(value)
        case .double(let value): try json.double(value)
        case .bool(let value): json.bool(value)
        case .list(let values): try json.array(values)
        case .map(let values): try json.object(values) { json, value in try value.write(to: &json) }
        }
    }
}

extension Fingerprint {
    /// The positions of the keys in hashing order, sorted by the keys' names.
    private static let positionsByName = Key.allCases.indices.sorted { Key.allCases[$0].rawValue < Key.allCases[$1].rawValue }

    package func write(to json: inout JSONText) {
        json.beginObject()
        json.key("keys")
        json.beginObject()
        for position in Self.positionsByName {
            json.key(Key.allCases[position].rawValue)
            json.string(keyDigest(at: position))
        }
        json.endObject()
        json.key("value")
        json.string(value)
        json.endObject()
    }
}

extension TaskInput: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("role")
        json.string(role)
        json.key("source")
        switch source {
        case .task(let id, let output): json.object("output", output, "task", id)
        case .model(let name): json.object("model", name)
        case .dataset(let name): json.object("dataset", name)
        }
        json.endObject()
    }
}

extension TaskCommand {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("arguments")
        try json.array(arguments)
        json.key("environment")
        json.array(environment) { json, variable in
            json.beginObject()
            json.key("name")
            json.string(variable.name)
            json.key("value")
            variable.value.write(to: &json)
            json.endObject()
        }
        json.endObject()
    }
}

extension CommandArgument: JSONTextWritable {
    /// Literal text alone as a string, anything else as the list of its parts.
    package func write(to json: inout JSONText) {
        if parts.count == 1, case .literal(let text) = parts[0] {
            json.string(text)
            return
        }
        json.array(parts) { json, part in
            switch part {
            case .literal(let text): json.string(text)
            case .outputDirectory: json.object("output", "{out}")
            case .taskOutput(let task, let output): json.object("output", output, "task", task)
            case .localPath(let path): json.object("path", path)
            case .hubSnapshot(let repository):
                json.beginObject()
                json.key("hub")
                json.beginObject()
                json.key("id")
                json.string(repository.id)
                json.key("kind")
                json.string(repository.kind.rawValue)
                json.key("revision")
                json.string(repository.revision)
                json.endObject()
                json.endObject()
            }
        }
    }
}

extension TaskResources {
    package func write(to json: inout JSONText) {
        json.beginObject()
        json.key("cpus")
        json.int(cpus)
        json.key("gpus")
        json.int(gpus)
        json.member("memoryMB", memoryMB)
        json.key("nodes")
        json.int(nodes)
        json.member("timeLimitSeconds", timeLimitSeconds)
        json.endObject()
    }
}

extension CheckpointPolicy {
    /// The interval as the synthesized conformance of an enum with a payload writes it:
    /// `{"steps":{"_0":500}}`.
    package func write(to json: inout JSONText) {
        json.beginObject()
        json.key("every")
        json.beginObject()
        switch every {
        case .seconds(let seconds):
            json.key("seconds")
            json.beginObject()
            json.key("_0")
            json.int(seconds)
        case .steps(let steps):
            json.key("steps")
            json.beginObject()
            json.key("_0")
            json.int(steps)
        }
        json.endObject()
        json.endObject()
        json.key("keep")
        json.int(keep)
        json.endObject()
    }
}
