import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One line of `events.jsonl`: something that happened in a run, in the order it happened.
public struct RunEvent: Codable, Hashable, Sendable {
    /// What happened.
    public enum Kind: String, Codable, Sendable {
        case runStarted = "run-started"
        case runResumed = "run-resumed"
        case taskCached = "task-cached"
        case taskStarted = "task-started"
        case taskFinished = "task-finished"
        case taskRetrying = "task-retrying"
        case taskSkipped = "task-skipped"
        case taskRecovered = "task-recovered"
        /// A job an earlier session submitted is followed again.
        case taskAdopted = "task-adopted"
        case runFinished = "run-finished"
    }

    public var time: Date
    public var kind: Kind
    public var task: String?
    public var attempt: Int?
    public var state: String?
    public var exitCode: Int32?
    public var message: String?

    public init(
        _ kind: Kind, task: String? = nil, attempt: Int? = nil, state: String? = nil, exitCode: Int32? = nil, message: String? = nil,
        time: Date = Timestamp.now()
    ) {
        self.time = time
        self.kind = kind
        self.task = task
        self.attempt = attempt
        self.state = state
        self.exitCode = exitCode
        self.message = message
    }
}

/// The append-only journal of a run. Each event is one `write` of a whole line with
/// O_APPEND, so lines never interleave, and a crash leaves at most a final partial line,
/// which readers skip.
public final class EventJournal: @unchecked Sendable {
    private let descriptor: Int32
    private let lock = NSLock()

    public init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("cannot open \(path)", errno) }
    }

    deinit { close(descriptor) }

    public func append(_ event: RunEvent) throws {
        var line = try JSONCoding.lineEncoder.encode(event)
        line.append(UInt8(ascii: "\n"))
        try lock.withLock {
            let written = line.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written == line.count else { throw FileError.system("cannot append to the event journal", errno) }
        }
    }

    /// The events of a journal, skipping a torn last line.
    public static func read(path: String) -> [RunEvent] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        let decoder = JSONCoding.decoder
        return text.split(separator: "\n").compactMap { try? decoder.decode(RunEvent.self, from: Data($0.utf8)) }
    }
}
