import AblateStore
import Foundation

/// Reads what a finished task measured from the files its tools already write:
/// `metrics.json` (final scalars), `metrics.jsonl` (series, one object per line),
/// lm-evaluation-harness `results_*.json`, and the metric files a `command` stage declares.
public struct MetricsReader: Sendable {
    public init() {}

    /// All metrics found under `outputs`, plus the declared files (relative to it).
    public func read(outputs: String, declared: [String]) -> MetricsRecord {
        var record = MetricsRecord()
        let files = Self.files(under: outputs)
        for path in files {
            let name = (path as NSString).lastPathComponent
            if name == "metrics.json" {
                merge(scalars(fromJSONAt: path), into: &record)
            } else if name == "metrics.jsonl" {
                merge(series(fromLinesAt: path), into: &record)
            } else if name.hasPrefix("results_") && name.hasSuffix(".json") {
                merge(lmEvalResults(at: path), into: &record)
            } else if name == "items.jsonl" {
                merge(items(fromLinesAt: path), into: &record)
            }
        }
        for relative in declared {
            let path = outputs + "/" + relative
            if relative.hasSuffix(".jsonl") {
                merge(series(fromLinesAt: path), into: &record)
            } else {
                merge(scalars(fromJSONAt: path), into: &record)
            }
        }
        return record
    }

    private func merge(_ other: MetricsRecord, into record: inout MetricsRecord) {
        record.scalars.merge(other.scalars) { _, new in new }
        record.series.merge(other.series) { old, new in old + new }
        record.items.merge(other.items) { old, new in old + new }
    }

    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var paths: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name == "metrics.json" || name == "metrics.jsonl" || name == "items.jsonl" || (name.hasPrefix("results_") && name.hasSuffix(".json")) {
                paths.append(directory + "/" + relative)
            }
        }
        return paths.sorted()
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
    func scalars(fromJSONAt path: String) -> MetricsRecord {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let object = Self.jsonObject(Substring(text)) as? [String: Any]
        else { return MetricsRecord() }
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
    func series(fromLinesAt path: String) -> MetricsRecord {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return MetricsRecord() }
        var record = MetricsRecord()
        for (index, line) in text.split(separator: "\n").enumerated() {
            guard let object = Self.jsonObject(line) as? [String: Any] else { continue }
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
    func items(fromLinesAt path: String) -> MetricsRecord {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return MetricsRecord() }
        var record = MetricsRecord()
        for line in text.split(separator: "\n") {
            guard let object = Self.jsonObject(line) as? [String: Any] else { continue }
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
    func lmEvalResults(at path: String) -> MetricsRecord {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8),
            let object = Self.jsonObject(Substring(text)) as? [String: Any],
            let results = object["results"] as? [String: Any]
        else { return MetricsRecord() }
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
