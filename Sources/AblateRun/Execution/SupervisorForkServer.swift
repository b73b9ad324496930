import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The resident `ablate-supervisor --serve` of one launcher, which starts and supervises each
/// local task itself instead of ablate starting a supervisor program for it: with no program to
/// load, no supervisor process, and nothing for swift-subprocess to set up in ablate, a thousand
/// short tasks ran in well under 0.8 of the time. A task it supervises leads a session of its
/// own, with the task's files, directory and environment; its pid is the handle, the server
/// enforces its time limit, and its running marker (`RunningMarker`) and exit record tell a
/// later ablate what became of it, so following, stopping and adopting it are as for a task
/// under a supervisor. A task that a warm interpreter starts gets a forked supervisor: the one
/// ablate would start (`--exit-record PATH` on its command line). The server writes its answers
/// as lines, read here on a thread of their own, which also reports each start: an attempt
/// waits once, for its end. Its side of the protocol is in the supervisor's `ForkServer`.
final class SupervisorForkServer: Sendable {
    /// How an attempt the server was asked to start went.
    enum Attempt: Equatable {
        /// The task, or its supervisor, started with this pid and ended; the end is nil when the
        /// server went away first (the exit record says how the task ended, once it is written).
        case ended(pid_t, End?)
        /// The supervisor could not be set up (a log file that cannot be created): the task
        /// did not start.
        case failed(String)
        /// The server cannot fork it (it is gone, or a field holds a NUL, which the protocol
        /// cannot carry): the supervisor is started as a program of its own.
        case unavailable
    }

    /// The blank argument the server starts with, which each forked supervisor overwrites with
    /// `--exit-record PATH` (room for any path a file can have).
    static let titleRoom = Int(PATH_MAX) + 64

    private let channel: Channel

    /// Starts the server; nil when it cannot be (tasks then start their supervisors themselves).
    init?(program: SupervisorProgram) {
        // One socket for the requests and one for the answers: a request the server reads
        // would otherwise wake the thread that waits for answers on the same socket.
        guard let requests = Self.socketPair() else { return nil }
        guard let answers = Self.socketPair() else {
            for end in requests { close(end) }
            return nil
        }
        defer {
            close(requests[1])
            close(answers[1])
        }
        guard let server = Self.spawn(program, requests: requests[1], answers: answers[1]) else {
            close(requests[0])
            close(answers[0])
            return nil
        }
        channel = Channel(requests: requests[0], answers: answers[0], server: server)
        let channel = channel
        Thread.detachNewThread { channel.readAnswers() }
    }

    /// A connected pair of stream sockets that close on exec; nil when there is none.
    private static func socketPair() -> [Int32]? {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else { return nil }
        return ends
    }

    /// Asks the server to fork a supervisor with `arguments` (as `ablate-supervisor` takes them)
    /// and `environment` (`NAME=VALUE` and a NUL each), and waits for its end. `started` gets
    /// the pid of the task (or of its supervisor) as soon as the server answers, on the thread
    /// that reads the answers, before the end can be reported: it must not wait for the server.
    func run(
        arguments: [String], environment: [[UInt8]], workingDirectory: String, standardOutput: String, standardError: String,
        started: @escaping @Sendable (pid_t) -> Void
    ) async -> Attempt {
        let fields = [workingDirectory, standardOutput, standardError, String(arguments.count)] + arguments
        guard !fields.contains(where: { $0.utf8.contains(0) }), !environment.contains(where: { $0.dropLast().contains(0) }) else {
            return .unavailable
        }
        return await withCheckedContinuation { continuation in
            guard let id = channel.register(Channel.Request(attempt: continuation, started: started)) else {
                return continuation.resume(returning: .unavailable)
            }
            var payload: [UInt8] = []
            for field in [String(id)] + fields {
                payload += field.utf8
                payload.append(0)
            }
            for entry in environment { payload += entry }
            let length = UInt32(payload.count)
            channel.send((0..<4).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + payload)
        }
    }

    /// How a task the server started, or a supervisor it forked, ended.
    struct End: Equatable, Sendable {
        /// Its `waitpid` status.
        var waitStatus: Int32
        /// Whether a task the server supervised ran out of time; nil for a supervisor (its exit
        /// record says).
        var timedOut: Bool?
    }

    /// Tells the server that no more requests come, as ablate's end (or death) does: it goes on
    /// serving what it started, records each end, and exits; the reader then sees the end of
    /// the answers.
    func endRequests() {
        shutdown(channel.requests, Int32(SHUT_WR))
    }

    deinit {
        endRequests()
    }

    /// Starts `ablate-supervisor --serve ROOM` with the sockets of the requests and of the
    /// answers as its standard input and output, its errors on ablate's, and no environment
    /// (each supervisor gets its task's).
    private static func spawn(_ program: SupervisorProgram, requests: Int32, answers: Int32) -> pid_t? {
        ResidentProcess.spawn(
            [program.path, "--serve", String(repeating: " ", count: titleRoom)], environment: [],
            streams: (.descriptor(requests), .descriptor(answers), .descriptor(2)))
    }
}

/// The sockets to the server and the attempts waiting for its answers.
private final class Channel: Sendable {
    /// Where the requests are written.
    let requests: Int32
    /// Where the answers are read.
    let answers: Int32
    let server: pid_t

    /// An attempt the server was asked for: told of its start, then of its end.
    struct Request {
        var attempt: CheckedContinuation<SupervisorForkServer.Attempt, Never>
        var started: @Sendable (pid_t) -> Void
    }

    private struct Waiting {
        var open = true
        var lastID = 0
        /// Requests the server has not answered yet, by id.
        var starts: [Int: Request] = [:]
        /// Attempts that started, by pid: the server reports a start before its end.
        var ends: [pid_t: CheckedContinuation<SupervisorForkServer.Attempt, Never>] = [:]
    }
    private let waiting = Mutex(Waiting())
    /// Held while a request is written, so that requests do not interleave.
    private let writing = Mutex(())

    init(requests: Int32, answers: Int32, server: pid_t) {
        self.requests = requests
        self.answers = answers
        self.server = server
    }

    /// A new request's id; nil once the server is gone.
    func register(_ request: Request) -> Int? {
        waiting.withLock { waiting in
            guard waiting.open else { return nil }
            waiting.lastID += 1
            waiting.starts[waiting.lastID] = request
            return waiting.lastID
        }
    }

    /// Writes a request; a server that is gone is noticed by the reader, which answers for it.
    func send(_ bytes: [UInt8]) {
        writing.withLock { _ in
            var offset = 0
            while offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes { Glibc.send(requests, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent < 0 && errno == EINTR { continue }
                guard sent > 0 else { return }
                offset += sent
            }
        }
    }

    /// Reads the server's answers until it is gone, then answers every attempt left for it.
    func readAnswers() {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var line: [UInt8] = []
        reading: while true {
            let count = read(answers, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            for byte in buffer[0..<count] {
                guard byte == UInt8(ascii: "\n") else {
                    line.append(byte)
                    continue
                }
                guard answer(String(decoding: line, as: UTF8.self)) else { break reading }
                line.removeAll(keepingCapacity: true)
            }
        }
        // A server that wrote something else is told to go, too.
        shutdown(requests, Int32(SHUT_RDWR))
        shutdown(answers, Int32(SHUT_RDWR))
        let left = waiting.withLock { waiting in
            waiting.open = false
            defer { (waiting.starts, waiting.ends) = ([:], [:]) }
            return (waiting.starts.values.map(\.attempt), waiting.ends)
        }
        for attempt in left.0 { attempt.resume(returning: .unavailable) }
        for (pid, attempt) in left.1 { attempt.resume(returning: .ended(pid, nil)) }
    }

    /// Hands one answer to the attempt it is for; false for a line that is not an answer.
    private func answer(_ line: String) -> Bool {
        // A failure's reason is the rest of its line.
        let words = line.split(separator: " ", maxSplits: line.hasPrefix("failed ") ? 2 : 3).map(String.init)
        guard words.count >= 3, let first = Int32(words[1]) else { return false }
        switch words[0] {
        case "started":
            guard words.count == 3, let pid = pid_t(words[2]), pid > 1 else { return false }
            let request = waiting.withLock { waiting in
                let request = waiting.starts.removeValue(forKey: Int(first))
                if let request { waiting.ends[pid] = request.attempt }
                return request
            }
            request?.started(pid)
        case "failed":
            waiting.withLock { $0.starts.removeValue(forKey: Int(first)) }?.attempt.resume(returning: .failed(words[2]))
        case "ended":
            guard let status = Int32(words[2]), words.count == 3 || words[3] == "0" || words[3] == "1" else { return false }
            let end = SupervisorForkServer.End(waitStatus: status, timedOut: words.count == 4 ? words[3] == "1" : nil)
            waiting.withLock { $0.ends.removeValue(forKey: first) }?.resume(returning: .ended(first, end))
        default: return false
        }
        return true
    }

    deinit {
        close(requests)
        close(answers)
        // The server exits once the requests' socket is closed; it is ablate's child to reap.
        var status: Int32 = 0
        while waitpid(server, &status, 0) < 0 && errno == EINTR {}
    }
}

/// A launcher's fork server, started when its first task starts.
final class SupervisorForkServerSlot: Sendable {
    let program: SupervisorProgram
    private let server = Mutex<(tried: Bool, server: SupervisorForkServer?)>((false, nil))

    init(program: SupervisorProgram) {
        self.program = program
    }

    /// The server, started on the first call; nil when it could not start.
    var current: SupervisorForkServer? {
        server.withLock { slot in
            if !slot.tried { slot = (true, SupervisorForkServer(program: program)) }
            return slot.server
        }
    }
}
