import AblateCore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The warm interpreters of a session on this machine: one per Python that runs built-in
/// stages (`python -m ablate_runners.…`) and per value of the variables its libraries read when
/// imported (stages run online and offline get one each), started the first time a task of it
/// launches. Each imports the stage libraries once and forks a child per task, so that a task
/// starts in milliseconds instead of the seconds its imports take (`ablate_runners/warm.py`
/// says how, and when a task starts cold instead). Fetch tasks start cold (`coldModules`). An
/// interpreter leads a session of its own, so that a terminal's Ctrl-C reaches ablate and not
/// it, and outlives an ablate that dies for as long as the tasks it started run.
public final class WarmInterpreters: @unchecked Sendable {
    /// A started interpreter.
    private struct Interpreter {
        var pid: pid_t
        var socket: String
    }

    /// What an interpreter serves: its Python, and the import-time variables of its environment
    /// (`name=value` lines).
    private struct Key: Hashable {
        var python: String
        var importTimeEnvironment: String
    }

    /// The prefixes of the variables that libraries read once, when imported: warm.py's
    /// IMPORT_TIME_PREFIXES, which refuses a task whose values differ from its interpreter's.
    static let importTimePrefixes = [
        "HF_", "HUGGINGFACE", "TRANSFORMERS_", "DATASETS_", "SENTENCE_TRANSFORMERS", "TORCH", "PYTORCH", "PYTHON", "XDG_", "LD_",
    ]

    /// Runners that start cold: the warm interpreter itself, and fetch. A fetch task imports
    /// little besides huggingface_hub and spends its time downloading; an interpreter for it
    /// (fetch tasks run online, the stages offline) would import every stage library for the few
    /// fetch tasks at a study's start, beside the stages' interpreter, and made them slower than
    /// cold ones.
    static let coldModules: Set<String> = ["ablate_runners.warm", "ablate_runners.fetch"]

    private let directory: String
    private let preload: [String]?
    /// ablate's environment, read once: a task's is this with the request's variables on top.
    private let inherited = ProcessInfo.processInfo.environment
    private let lock = NSLock()
    private var interpreters: [Key: Interpreter] = [:]
    /// Interpreters that could not start or have ended: their tasks start cold.
    private var unavailable: Set<Key> = []

    /// `directory` receives each interpreter's log (`<socket>.log`); `preload` names the modules
    /// each interpreter imports before it serves (nil: the stage runners' libraries).
    public init(directory: String, preload: [String]? = nil) {
        self.directory = directory
        self.preload = preload
    }

    /// The socket of the warm interpreter for the request's Python, started if need be; nil
    /// for a command that is not a built-in stage's, or when its interpreter is not there.
    func socket(for request: LaunchRequest) -> String? {
        let arguments = request.arguments
        guard arguments.count >= 3, arguments[1] == "-m", arguments[2].hasPrefix("ablate_runners."), !Self.coldModules.contains(arguments[2]),
            arguments[0].hasPrefix("/")
        else { return nil }
        let environment = inherited.merging(request.environment) { _, task in task }
        let key = Key(python: arguments[0], importTimeEnvironment: Self.importTimeLines(environment))
        return lock.withLock {
            if unavailable.contains(key) { return nil }
            if let running = interpreters[key] {
                // An interpreter that ended (it failed while importing, or was killed) is not asked again.
                if kill(running.pid, 0) == 0, waitpid(running.pid, nil, WNOHANG) == 0 { return running.socket }
                interpreters[key] = nil
                unavailable.insert(key)
                return nil
            }
            guard let started = start(key.python, environment: environment) else {
                unavailable.insert(key)
                return nil
            }
            interpreters[key] = started
            return started.socket
        }
    }

    /// The import-time variables of an environment, sorted, one `name=value` per line.
    static func importTimeLines(_ environment: [String: String]) -> String {
        environment.filter { name, _ in importTimePrefixes.contains { name.hasPrefix($0) } }
            .map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "\n")
    }

    /// Asks every interpreter to leave once the tasks it started have ended.
    public func shutDown() {
        lock.withLock {
            for interpreter in interpreters.values {
                kill(interpreter.pid, SIGTERM)
                // Reaped when it ends, so that it leaves no zombie behind in a long-lived process.
                let pid = interpreter.pid
                Thread.detachNewThread { waitpid(pid, nil, 0) }
            }
            interpreters = [:]
        }
    }

    /// Starts `python -m ablate_runners.warm` in a session of its own, with the environment a
    /// task of it gets (what its libraries read when imported must be the tasks').
    private func start(_ python: String, environment: [String: String]) -> Interpreter? {
        let socket = "ablate-warm-\(getpid())-\(interpreters.count + unavailable.count)-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let log = open(directory + "/" + socket + ".log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { return nil }
        defer { close(log) }
        let arguments = [python, "-m", "ablate_runners.warm", "--socket", socket, "--parent", String(getpid())] + (preload.map { ["--preload"] + $0 } ?? [])
        guard
            let pid = ResidentProcess.spawn(
                arguments, environment: environment.map { "\($0.key)=\($0.value)" },
                streams: (.file("/dev/null", flags: O_RDONLY), .descriptor(log), .descriptor(log)))
        else { return nil }
        return Interpreter(pid: pid, socket: socket)
    }
}
