#if canImport(Glibc)
    import Glibc
#endif

/// `ablate-supervisor --serve ROOM`: stays resident while one ablate runs local tasks, and
/// starts each task ablate sends it (a `ForkRequest`): it supervises the task itself
/// (`ServedTasks`), which spares every task a supervisor process, or, for a task a warm
/// interpreter starts, forks a supervisor for it, which spares that supervisor the start of a new
/// program. Standard input is a stream socket that ablate writes the requests to, standard
/// output one that the server answers on, in lines (two sockets, so that reading a request never
/// wakes ablate's reader of the answers):
/// - `started ID PID` once the task leads a session of its own (PID is the task's), or once the
///   forked supervisor does, has the task's files, directory and environment, and shows
///   `--exit-record PATH` as its command line, written over ROOM (the server's own last
///   argument, blank), as a supervisor that ablate started would (PID is the supervisor's);
/// - `failed ID REASON` when it could not get that far (the task never ran);
/// - `ended PID STATUS TIMED-OUT` when a task it serves has ended, with its `waitpid` status and
///   1 when it ran out of time (0 when not), and `ended PID STATUS` when a supervisor it forked
///   has ended (its exit record says more).
///
/// ablate starts it as the leader of a session of its own, so that a terminal's Ctrl-C reaches
/// ablate and not it. When ablate shuts its requests down or dies, it takes no more requests, goes on
/// serving its tasks until the last has ended and is recorded, and exits; the supervisors it
/// forked go on without it, exactly like those ablate starts itself.
enum ForkServer {
    static let flag = "--serve"

    /// The socket of ablate's requests.
    private static let requests: Int32 = 0
    /// The socket of the answers to ablate.
    private static let answers: Int32 = 1
    /// The pipe a SIGCHLD writes a byte to, so that `poll` wakes up when a child ends.
    nonisolated(unsafe) private static var wakeUp: (read: Int32, write: Int32) = (-1, -1)
    /// Whether ablate is still there to send requests and read answers.
    nonisolated(unsafe) private static var connected = true

    static func serve() -> Never {
        closeInheritedDescriptors()
        clearEnvironment()
        instantiateWhatSupervisorsUse()
        guard let ends = pipeEnds(nonBlocking: true) else { exit(1) }
        wakeUp = ends
        signal(SIGCHLD) { _ in
            let saved = errno
            var byte: UInt8 = 0
            _ = write(ForkServer.wakeUp.write, &byte, 1)
            errno = saved
        }
        var waiting = [
            pollfd(fd: wakeUp.read, events: Int16(POLLIN), revents: 0), pollfd(fd: requests, events: Int16(POLLIN), revents: 0),
        ]
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            reapEnded()
            ServedTasks.enforceTimeLimits()
            if !connected && ServedTasks.isEmpty { exit(0) }
            guard poll(&waiting, connected ? 2 : 1, ServedTasks.millisecondsToNextDeadline) > 0 else { continue }
            if waiting[0].revents != 0 { while read(wakeUp.read, &buffer, buffer.count) > 0 {} }
            guard connected, waiting[1].revents != 0 else { continue }
            let count = read(requests, &buffer, buffer.count)
            if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            // ablate closed the socket, or is gone: the tasks served go on to their end.
            guard count > 0 else {
                connected = false
                continue
            }
            received += buffer[0..<count]
            while let request = takeRequest(from: &received) { start(request) }
        }
    }

    /// Runs, once, the steps of a supervisor that have no effect, so that the Swift runtime
    /// builds the type metadata they need here: each forked supervisor inherits it, where each
    /// would otherwise build it anew (a tenth of a millisecond, a sixth of a supervisor's time).
    private static func instantiateWhatSupervisorsUse() {
        _ = SupervisorArguments.parse(["--exit-record", "/exit.json", "--time-limit", "1", "--grace", "1", "--", "/program", "argument"])
        for argument in SupervisedChild.argumentVector(["/program", "argument"]) { free(argument) }
    }

    /// The first whole request in `received`, removed from it.
    private static func takeRequest(from received: inout [UInt8]) -> ForkRequest? {
        guard received.count >= 4 else { return nil }
        let length = received[0..<4].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard length <= ForkRequest.maximumLength else { refuseProtocol() }
        guard received.count >= 4 + length else { return nil }
        guard let request = ForkRequest(received[4..<(4 + length)]) else { refuseProtocol() }
        received.removeFirst(4 + length)
        return request
    }

    /// An ablate that speaks another protocol (a different build): it starts its supervisors
    /// itself once the server is gone.
    private static func refuseProtocol() -> Never {
        let message = "ablate-supervisor: a request to the fork server is not one this build reads\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        exit(2)
    }

    /// Starts the request's task, served here, or forks its supervisor when a warm interpreter
    /// is to start it.
    private static func start(_ request: ForkRequest) {
        guard let arguments = SupervisorArguments.parse(request.arguments), arguments.warmSocket == nil else { return startSupervisor(request) }
        do {
            answer("started \(request.id) \(try ServedTasks.start(request, arguments))")
        } catch {
            answer("failed \(request.id) \(error.reason)")
        }
    }

    /// Forks the request's supervisor and answers once it is ready, or failed.
    private static func startSupervisor(_ request: ForkRequest) {
        guard let report = pipeEnds(nonBlocking: false) else {
            return answer("failed \(request.id) cannot make a pipe: \(String(cString: strerror(errno)))")
        }
        let pid = fork()
        if pid == 0 {
            close(requests)
            close(answers)
            close(wakeUp.read)
            close(wakeUp.write)
            close(report.read)
            ServedTasks.closeMarkers()
            signal(SIGCHLD, SIG_DFL)
            do {
                let arguments = try ForkedSupervisor.prepare(request)
                close(report.write)
                Supervision.run(arguments)
            } catch {
                _ = error.reason.withCString { write(report.write, $0, strlen($0)) }
                _exit(127)
            }
        }
        close(report.write)
        defer { close(report.read) }
        guard pid > 0 else { return answer("failed \(request.id) cannot fork: \(String(cString: strerror(errno)))") }
        // The supervisor closes its end once ready; a failed one writes why and exits.
        var reason: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 512)
        while true {
            let count = read(report.read, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            reason += chunk[0..<count]
        }
        guard !reason.isEmpty else { return answer("started \(request.id) \(pid)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: reason, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: " ")
        answer("failed \(request.id) \(text)")
    }

    /// Ends every task served that has ended, and tells ablate of every supervisor that has.
    private static func reapEnded() {
        var status: Int32 = 0
        while true {
            let pid = waitpid(-1, &status, WNOHANG)
            guard pid > 0 else { return }
            if !ServedTasks.ended(pid, waitStatus: status, answer: answer) { answer("ended \(pid) \(status)") }
        }
    }

    /// Sends one line to ablate, while it is there.
    private static func answer(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while connected && offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(answers, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else {
                connected = false
                return
            }
            offset += sent
        }
    }

    /// A pipe whose ends close on exec (so that no task inherits them).
    private static func pipeEnds(nonBlocking: Bool) -> (read: Int32, write: Int32)? {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return nil }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            if nonBlocking { _ = fcntl(end, F_SETFL, O_NONBLOCK) }
        }
        return (ends[0], ends[1])
    }

    /// Empties the environment, once, so that each forked supervisor's is its task's alone.
    private static func clearEnvironment() {
        var names: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            names.append(String(String(cString: pointer).prefix { $0 != "=" }))
            entry += 1
        }
        for name in names { unsetenv(name) }
    }

    /// Closes every descriptor but standard input, output and error that the server got from
    /// ablate (an open index, a lock): the tasks it starts would hold them.
    private static func closeInheritedDescriptors() {
        guard let directory = opendir("/proc/self/fd") else { return }
        let own = dirfd(directory)
        var inherited: [Int32] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let descriptor = Int32(name), descriptor > 2, descriptor != own { inherited.append(descriptor) }
        }
        closedir(directory)
        for descriptor in inherited { close(descriptor) }
    }
}
