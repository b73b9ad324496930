import Foundation

/// A run directory that cannot be read as ablate wrote it, with what to do about it.
public enum RunStoreError: Error, CustomStringConvertible {
    /// No `run.json`: not a run directory at all.
    case notARun(String)
    /// A file of the run that exists but cannot be decoded.
    case damagedFile(path: String, cause: String, fix: String)
    /// `index.sqlite` cannot be opened or read.
    case damagedIndex(path: String, cause: String)

    public var description: String {
        switch self {
        case .notARun(let path): return "\(path) is not a run directory (no run.json); 'ablate ls' lists the runs"
        case .damagedFile(let path, let cause, let fix): return "\(path) is damaged (\(cause)); \(fix)"
        case .damagedIndex(let path, let cause):
            let run = (path as NSString).deletingLastPathComponent
            return "\(path) is damaged (\(cause)); rebuild it from the run's files with 'ablate reindex \(run)'"
        }
    }

    /// A decoding or reading error in a few words.
    static func cause(of error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "\(path(context.codingPath)): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, let context): return "no '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(path(context.codingPath))' has the wrong type"
        default: return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}

extension RunLayout {
    /// `run.json`, or an error that says whether the directory is no run or a damaged one.
    public func readRunRecord() throws -> RunRecord {
        let fix = "restore it, or start the study again with 'ablate run SPEC' (its completed tasks come from the cache)"
        guard let record = try read(RunRecord.self, at: runRecord, fix: fix) else { throw RunStoreError.notARun(runDirectory) }
        return record
    }

    /// A task's `status.json`: nil when the task never got one, an error when it is damaged.
    public func readTaskRecord(_ task: String) throws -> TaskRecord? {
        try read(TaskRecord.self, at: status(task), fix: Self.rerunFix)
    }

    /// A task's `metrics.json`: nil when it has none, an error when it is damaged.
    public func readMetricsRecord(_ task: String) throws -> MetricsRecord? {
        try read(MetricsRecord.self, at: metrics(task), fix: Self.rerunFix)
    }

    private static let rerunFix = "delete it, and 'ablate resume' runs the task again"

    /// A run file: nil when it does not exist, an error naming `fix` when it cannot be decoded.
    private func read<Record: Decodable>(_ type: Record.Type, at path: String, fix: String) throws -> Record? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try AtomicFile.readJSON(type, from: path)
        } catch {
            throw RunStoreError.damagedFile(path: path, cause: RunStoreError.cause(of: error), fix: fix)
        }
    }

    /// Opens the run's index, naming the fix when it is damaged.
    public func openIndex() throws -> RunIndex {
        do {
            return try RunIndex(path: index)
        } catch {
            throw RunStoreError.damagedIndex(path: index, cause: RunStoreError.cause(of: error))
        }
    }

    /// Opens the run's index to read it (reports), naming the fix when it is damaged.
    public func openIndexForReading() throws -> RunIndex {
        do {
            return try RunIndex(readingAt: index)
        } catch {
            throw RunStoreError.damagedIndex(path: index, cause: RunStoreError.cause(of: error))
        }
    }
}
