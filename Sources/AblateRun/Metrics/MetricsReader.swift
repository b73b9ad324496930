import AblateStore
import Foundation

/// Reads what a finished task measured from the files its tools already write:
/// `metrics.json` (final scalars), `metrics.jsonl` (series, one object per line),
/// lm-evaluation-harness `results_*.json`, and the metric files a `command` stage declares.
public struct MetricsReader: Sendable {
    public init() {}

    /// What reading a task's metric files gave: the metrics, and what could not be read.
    public struct Reading: Sendable {
        public var record = MetricsRecord()
        /// One line per file (or set of lines) that was not what it should be.
        public var problems: [String] = []
        /// The bytes of the regular files under the outputs, counted on the same walk (the
        /// session's disk space estimates use them).
        public var outputBytes: Int64 = 0
    }

    /// All metrics found under `outputs`, plus the declared files (relative to it).
    public func read(outputs: String, declared: [String]) -> Reading {
        var reading = Reading()
        let (files, bytes) = Self.files(under: outputs)
        reading.outputBytes = bytes
        for path in files {
            let name = (path as NSString).lastPathComponent
            if name == "metrics.json" {
                merge(scalars(fromJSONAt: path, &reading.problems), into: &reading.record)
            } else if name == "metrics.jsonl" {
                merge(series(fromLinesAt: path, &reading.problems), into: &reading.record)
            } else if name.hasPrefix("results_") && name.hasSuffix(".json") {
                merge(lmEvalResults(at: path, &reading.problems), into: &reading.record)
            } else if name == "items.jsonl" {
                merge(items(fromLinesAt: path, &reading.problems), into: &reading.record)
            }
        }
        for relative in declared {
            let path = outputs + "/" + relative
            guard FileManager.default.fileExists(atPath: path) else {
                reading.problems.append("the metric file \(relative) that the stage declares was not written")
                continue
            }
            if relative.hasSuffix(".jsonl") {
                merge(series(fromLinesAt: path, &reading.problems), into: &reading.record)
            } else {
                merge(scalars(fromJSONAt: path, &reading.problems), into: &reading.record)
            }
        }
        return reading
    }

    /// A file's text and the JSON object it holds, or a problem naming the file.
    private static func object(at path: String, _ problems: inout [String]) -> [String: Any]? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8), let object = jsonObject(Substring(text)) as? [String: Any] else {
            problems.append("\(path) is not a JSON object, so none of its metrics were recorded")
            return nil
        }
        return object
    }

    /// The lines of a JSON-lines file, noting those that are not JSON objects.
    private static func objects(inLinesAt path: String, _ problems: inout [String]) -> [[String: Any]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            problems.append("\(path) cannot be read as text, so none of its metrics were recorded")
            return []
        }
        var objects: [[String: Any]] = []
        var unreadable: [Int] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            if let object = jsonObject(line) as? [String: Any] { objects.append(object) } else { unreadable.append(index + 1) }
        }
        if let first = unreadable.first {
            problems.append("\(path): \(unreadable.count) line\(unreadable.count == 1 ? "" : "s") (the first at line \(first)) not a JSON object, left out")
        }
        return objects
    }

    private func merge(_ other: MetricsRecord, into record: inout MetricsRecord) {
        record.scalars.merge(other.scalars) { _, new in new }
        record.series.merge(other.series) { old, new in old + new }
        record.items.merge(other.items) { old, new in old + new }
    }

    /// The files under `directory` that hold metrics, in order of their paths.
    static func files(under directory: String) -> (paths: [String], bytes: Int64) {
        var paths: [String] = []
        var bytes: Int64 = 0
        FileTree.forEachRegularFile(under: directory) { folder, name, size in
            bytes += size
            if name == "metrics.json" || name == "metrics.jsonl" || name == "items.jsonl" || (name.hasPrefix("results_") && name.hasSuffix(".json")) {
                paths.append(directory + "/" + folder + name)
            }
        }
        return (paths.sorted(), bytes)
    }

    /// Python's `json` writes NaN and Infinity as bare words, which are not JSON: they are
    /// read as missing values.
    static func jsonObject(_ text: Substring) -> Any? {
        var cleaned = String(text)
        for word in ["-Infinity", "Infinity", "NaN"] {
            cleaned = cleaned.replacingOccurrences(of: ": \(word)", with: ": null")
                .replacingOccurrences(of: ":\(word)", with: ":null")
        }
        return try? JSONSerialization.jsonObject(with: Data(cleaned.utf8))
    }

    static func number(_ value: Any) -> Double?? {
        if value is NSNull { return .some(nil) }
        if let number = value as? NSNumber {
            let double = number.doubleValue
            return .some(double.isFinite ? double : nil)
        }
        return .none
    }

    /// A flat or nested object of numbers; nested keys are joined with `/`.
    func scalars(fromJSONAt path: String, _ problems: inout [String]) -> MetricsRecord {
        guard let object = Self.object(at: path, &problems) else { return MetricsRecord() }
        var record = MetricsRecord()
        func visit(_ object: [String: Any], prefix: String) {
            for (key, value) in object {
                if let nested = value as? [String: Any] {
                    visit(nested, prefix: prefix + key + "/")
                } else if case .some(let number) = Self.number(value) {
                    record.scalars[prefix + key] = MetricsRecord.Scalar(value: number)
                }
            }
        }
        visit(object, prefix: "")
        return record
    }

    /// One JSON object per line; `step` (or the line number) orders the points.
    func series(fromLinesAt path: String, _ problems: inout [String]) -> MetricsRecord {
        var record = MetricsRecord()
        for (index, object) in Self.objects(inLinesAt: path, &problems).enumerated() {
            let step = (object["step"] as? NSNumber)?.intValue ?? index
            for (key, value) in object where key != "step" {
                guard case .some(let number) = Self.number(value) else { continue }
                record.series[key, default: []].append(MetricsRecord.Point(step: step, value: number))
            }
        }
        return record
    }

    /// One object per item (`{"item": "p1", "win": 1, "ead": 0.8}`): each numeric field is a
    /// per-item value of that metric, and the metric's scalar is their mean unless
    /// `metrics.json` gives one.
    func items(fromLinesAt path: String, _ problems: inout [String]) -> MetricsRecord {
        var record = MetricsRecord()
        for object in Self.objects(inLinesAt: path, &problems) {
            for (key, value) in object where key != "item" && key != "id" {
                guard case .some(let number?) = Self.number(value) else { continue }
                record.items[key, default: []].append(number)
            }
        }
        for (name, values) in record.items where !values.isEmpty {
            record.scalars[name] = MetricsRecord.Scalar(value: values.reduce(0, +) / Double(values.count))
        }
        return record
    }

    /// `results.<task>["acc_norm,none"]` → `<task>/acc_norm`, with `acc_norm_stderr,none` as
    /// its standard error.
    func lmEvalResults(at path: String, _ problems: inout [String]) -> MetricsRecord {
        guard let object = Self.object(at: path, &problems) else { return MetricsRecord() }
        guard let results = object["results"] as? [String: Any] else {
            problems.append("\(path) has no 'results' object, so none of its metrics were recorded")
            return MetricsRecord()
        }
        var record = MetricsRecord()
        for (task, value) in results {
            guard let metrics = value as? [String: Any] else { continue }
            for (key, raw) in metrics {
                let parts = key.split(separator: ",", maxSplits: 1)
                guard let metric = parts.first, !metric.hasSuffix("_stderr"), case .some(let number) = Self.number(raw) else { continue }
                let filter = parts.count > 1 ? "," + parts[1] : ""
                var stderr: Double?
                if let stderrRaw = metrics["\(metric)_stderr\(filter)"], case .some(let value) = Self.number(stderrRaw) { stderr = value }
                record.scalars["\(task)/\(metric)"] = MetricsRecord.Scalar(value: number, stderr: stderr)
            }
        }
        return record
    }
}
