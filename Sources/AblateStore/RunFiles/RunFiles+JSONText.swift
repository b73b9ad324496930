import AblateCore
import Foundation

// The files a run writes for every task (`status.json`, `metrics.json`, the cache's `entry.json`,
// the journal's lines) as JSON text, member for member what their `Encodable` conformances write through
// `JSONCoding.lineEncoder` (RunFilesJSONTextTests compares the two byte for byte): members in
// sorted key order, optional members that are nil left out, dates as `Timestamp` writes them.

extension TaskRecord: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("attempts")
        json.array(attempts) { json, attempt in attempt.write(to: &json) }
        if let cachedFrom {
            json.key("cachedFrom")
            cachedFrom.write(to: &json)
        }
        json.key("fingerprint")
        fingerprint.write(to: &json)
        json.key("id")
        json.string(id)
        json.key("kind")
        json.string(kind.rawValue)
        json.key("outputs")
        json.object(outputs) { json, path in json.string(path) }
        json.member("reason", reason)
        json.key("settings")
        try json.object(settings) { json, value in try value.write(to: &json) }
        json.key("stage")
        json.string(stage)
        json.key("state")
        json.string(state.rawValue)
        json.key("variants")
        json.array(variants)
        json.endObject()
    }
}

extension AttemptRecord {
    func write(to json: inout JSONText) {
        json.beginObject()
        json.member("endedAt", endedAt.map(Timestamp.format))
        json.member("exitCode", exitCode)
        json.member("exitRecord", exitRecord)
        json.member("gpus", gpus)
        json.member("jobID", jobID)
        json.key("number")
        json.int(number)
        json.member("pid", pid)
        json.member("signal", signal)
        json.key("startedAt")
        json.string(Timestamp.format(startedAt))
        json.key("state")
        json.string(state.rawValue)
        json.key("timedOut")
        json.bool(timedOut)
        json.endObject()
    }
}

extension CacheOrigin {
    func write(to json: inout JSONText) {
        json.beginObject()
        json.key("run")
        json.string(run)
        json.key("study")
        json.string(study)
        json.key("task")
        json.string(task)
        json.endObject()
    }
}

extension TaskCache.Entry: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("completedAt")
        json.string(Timestamp.format(completedAt))
        json.key("fingerprint")
        json.string(fingerprint)
        json.key("metrics")
        try metrics.write(to: &json)
        json.key("origin")
        origin.write(to: &json)
        json.endObject()
    }
}

extension MetricsRecord: JSONTextWritable {
    /// Throws for a value that is not finite, as `JSONEncoder` does.
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.key("items")
        try json.object(items) { json, values in try json.array(values) { json, value in try json.double(value) } }
        json.key("scalars")
        try json.object(scalars) { json, scalar in
            json.beginObject()
            try json.member("stderr", scalar.stderr)
            try json.member("value", scalar.value)
            json.endObject()
        }
        json.key("series")
        try json.object(series) { json, points in
            try json.array(points) { json, point in
                json.beginObject()
                json.key("step")
                json.int(point.step)
                try json.member("value", point.value)
                json.endObject()
            }
        }
        json.endObject()
    }
}

extension RunEvent: JSONTextWritable {
    package func write(to json: inout JSONText) throws {
        json.beginObject()
        json.member("attempt", attempt)
        json.member("exitCode", exitCode)
        json.key("kind")
        json.string(kind.rawValue)
        json.member("message", message)
        // Task and run states share the one `state` field of a line.
        json.member("state", runState?.rawValue ?? state?.rawValue)
        json.member("task", task)
        json.key("time")
        json.string(Timestamp.format(time))
        json.endObject()
    }
}
