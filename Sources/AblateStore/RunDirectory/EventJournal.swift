import AblateCore
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
    /// The task's state after the event, for task events.
    public var state: TaskRecord.State?
    /// The run's state after the event, for `run-finished`.
    public var runState: RunRecord.State?
    public var exitCode: Int32?
    public var message: String?

    public init(
        _ kind: Kind, task: String? = nil, attempt: Int? = nil, state: TaskRecord.State? = nil, runState: RunRecord.State? = nil,
        exitCode: Int32? = nil, message: String? = nil, time: Date = Timestamp.now()
    ) {
        self.time = time
        self.kind = kind
        self.task = task
        self.attempt = attempt
        self.state = state
        self.runState = runState
        self.exitCode = exitCode
        self.message = message
    }

    // Task and run states share the one `state` field of a line.
    private enum CodingKeys: String, CodingKey {
        case time, kind, task, attempt, state, exitCode, message
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        time = try container.decode(Date.self, forKey: .time)
        kind = try container.decode(Kind.self, forKey: .kind)
        task = try container.decodeIfPresent(String.self, forKey: .task)
        attempt = try container.decodeIfPresent(Int.self, forKey: .attempt)
        exitCode = try container.decodeIfPresent(Int32.self, forKey: .exitCode)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        if kind == .runFinished {
            runState = try container.decodeIfPresent(RunRecord.State.self, forKey: .state)
        } else {
            state = try container.decodeIfPresent(TaskRecord.State.self, forKey: .state)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(time, forKey: .time)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(task, forKey: .task)
        try container.encodeIfPresent(attempt, forKey: .attempt)
        if let runState { try container.encode(runState, forKey: .state) } else { try container.encodeIfPresent(state, forKey: .state) }
        try container.encodeIfPresent(exitCode, forKey: .exitCode)
        try container.encodeIfPresent(message, forKey: .message)
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
        var json = JSONText(reservingCapacity: 256)
        try event.write(to: &json)
        json.raw("\n")
        let line = json.bytes
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
