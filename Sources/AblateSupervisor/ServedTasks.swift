import AblateSpawn

#if canImport(Glibc)
    import Glibc
#endif

/// The tasks the fork server starts and supervises itself, with no supervisor process of their
/// own: each leads a session of its own, with the request's files, directory and environment.
/// The server enforces their time limits (SIGTERM to the task's group, SIGKILL after the grace),
/// kills what a task left in its group when it ends, and records the end as a supervisor would
/// (`ExitRecordFile`), after it told ablate. A task that needs a warm interpreter still gets a
/// supervisor of its own, forked.
///
/// While a task runs, the server holds an exclusive `flock` on its running marker, the exit
/// record's path with `.running` appended, which holds the task's pid: a resuming ablate (which
/// has no connection to this server) reads it there, and it is running exactly while the lock
/// is held. The marker becomes the exit record, by a rename, before the lock goes, so that a
/// reader that finds the lock gone finds the record, unless the server itself was killed.
enum ServedTasks {
    /// A task being served.
    struct Served {
        var exitRecord: String
        /// The running marker, open and locked.
        var marker: Int32
        /// When the time limit, or the grace after it, runs out (monotonic seconds).
        var deadline: Double?
        var graceSeconds: Double
        var timedOut = false
    }

    /// Why a task could not be started.
    struct Failure: Error {
        var reason: String
    }

    nonisolated(unsafe) private(set) static var running: [pid_t: Served] = [:]

    static var isEmpty: Bool { running.isEmpty }

    /// The suffix of the running marker's name (what ablate's `RunningMarker` reads).
    static let markerSuffix = ".running"

    /// Starts the request's task; returns its pid.
    static func start(_ request: ForkRequest, _ arguments: SupervisorArguments) throws(Failure) -> pid_t {
        let markerPath = arguments.exitRecord + markerSuffix
        let marker = try open(markerPath, O_RDWR | O_CREAT | O_TRUNC, what: "cannot create")
        var started = false
        defer {
            if !started {
                unlink(markerPath)
                close(marker)
            }
        }
        guard flock(marker, LOCK_EX | LOCK_NB) == 0 else { throw Failure(reason: "cannot lock '\(markerPath)': \(describe(errno))") }
        let output = try open(request.standardOutput, O_WRONLY | O_CREAT | O_TRUNC, what: "cannot open")
        defer { close(output) }
        let error = try open(request.standardError, O_WRONLY | O_CREAT | O_TRUNC, what: "cannot open")
        defer { close(error) }
        let directory = try open(request.workingDirectory, O_RDONLY | O_DIRECTORY, what: "cannot enter")
        defer { close(directory) }
        var argv = SupervisedChild.argumentVector(arguments.command)
        var environment = request.environment.map { strdup($0) } + [nil]
        defer {
            for argument in argv { free(argument) }
            for entry in environment { free(entry) }
        }
        var pid: pid_t = 0
        let failure = ablate_spawn_session(&pid, arguments.command[0], &argv, &environment, directory, output, error)
        guard failure == 0 else { throw Failure(reason: "cannot start '\(arguments.command[0])': \(describe(failure))") }
        started = true
        let text = Array("\(pid)\n".utf8)
        _ = text.withUnsafeBytes { pwrite(marker, $0.baseAddress, $0.count, 0) }
        running[pid] = Served(
            exitRecord: arguments.exitRecord, marker: marker, deadline: arguments.timeLimitSeconds.map { now() + Double($0) },
            graceSeconds: arguments.graceSeconds)
        return pid
    }

    /// Ends a served task that has ended: kills what it left in its group, tells ablate through
    /// `answer` (`ended PID STATUS TIMED-OUT`, 1 or 0), and records the end. False for a
    /// process the server does not serve (a forked supervisor).
    static func ended(_ pid: pid_t, waitStatus: Int32, answer: (String) -> Void) -> Bool {
        guard let served = running.removeValue(forKey: pid) else { return false }
        kill(-pid, SIGKILL)
        answer("ended \(pid) \(waitStatus) \(served.timedOut ? 1 : 0)")
        // Written over the pid, which is shorter, and cut to its length: emptying the file
        // first would make ext4 flush it to the disk when it is closed.
        let text = Array(ExitRecordFile.json(ChildStatus(waitStatus: waitStatus), timedOut: served.timedOut).utf8)
        let written =
            text.withUnsafeBytes { pwrite(served.marker, $0.baseAddress, $0.count, 0) } == text.count
            && ftruncate(served.marker, off_t(text.count)) == 0
        if !written || rename(served.exitRecord + markerSuffix, served.exitRecord) != 0 { unlink(served.exitRecord + markerSuffix) }
        close(served.marker)
        return true
    }

    /// Sends SIGTERM to the group of each task whose time limit ran out, and SIGKILL to each
    /// whose grace after it ran out too.
    static func enforceTimeLimits() {
        let time = now()
        for (pid, served) in running {
            guard let deadline = served.deadline, deadline <= time else { continue }
            if served.timedOut {
                kill(-pid, SIGKILL)
                running[pid]?.deadline = nil
            } else {
                kill(-pid, SIGTERM)
                running[pid]?.timedOut = true
                running[pid]?.deadline = time + served.graceSeconds
            }
        }
    }

    /// Milliseconds until the next deadline, for `poll`; -1 when there is none.
    static var millisecondsToNextDeadline: Int32 {
        guard let next = running.values.compactMap(\.deadline).min() else { return -1 }
        return Int32(min(max(0, (next - now()) * 1000).rounded(.up), Double(Int32.max)))
    }

    /// Closes every marker, in a forked child, which must not hold the tasks' locks.
    static func closeMarkers() {
        for served in running.values { close(served.marker) }
    }

    private static func open(_ path: String, _ flags: Int32, what: String) throws(Failure) -> Int32 {
        let descriptor = Glibc.open(path, flags | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(reason: "\(what) '\(path)': \(describe(errno))") }
        return descriptor
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
