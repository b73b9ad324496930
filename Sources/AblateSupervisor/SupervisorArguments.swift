#if canImport(Glibc)
    import Glibc
#endif

/// What ablate-supervisor was asked to do:
/// `ablate-supervisor --exit-record PATH [--time-limit SECONDS --grace SECONDS] [--warm NAME] -- PROGRAM [ARGUMENT…]`.
/// PROGRAM is a path (ablate looks it up on PATH before it starts the supervisor); NAME is the
/// abstract socket of a warm interpreter that may fork the task instead.
struct SupervisorArguments {
    var exitRecord: String
    var timeLimitSeconds: Int?
    var graceSeconds: Double = 10
    var warmSocket: String?
    var command: [String]

    /// Parses the arguments after the program's name; nil, with the reason on standard error,
    /// when they are not as above.
    static func parse(_ arguments: [String]) -> SupervisorArguments? {
        var exitRecord: String?
        var timeLimit: Int?
        var grace = 10.0
        var warm: String?
        var index = 0
        while index < arguments.count {
            let flag = arguments[index]
            if flag == "--" {
                let command = Array(arguments[(index + 1)...])
                guard let exitRecord, let program = command.first, program.hasPrefix("/") else { break }
                return SupervisorArguments(exitRecord: exitRecord, timeLimitSeconds: timeLimit, graceSeconds: grace, warmSocket: warm, command: command)
            }
            guard index + 1 < arguments.count else { break }
            let value = arguments[index + 1]
            switch flag {
            case "--exit-record": exitRecord = value
            case "--time-limit":
                guard let seconds = Int(value), seconds >= 0 else { return refuse("--time-limit takes whole seconds, not '\(value)'") }
                timeLimit = seconds
            case "--grace":
                guard let seconds = Double(value), seconds >= 0, seconds <= 86_400 else {
                    return refuse("--grace takes seconds from 0 to 86400, not '\(value)'")
                }
                grace = seconds
            case "--warm":
                guard !value.isEmpty, value.utf8.count < 100 else { return refuse("--warm takes a socket name of 1 to 99 bytes") }
                warm = value
            default: return refuse("unknown flag '\(flag)'")
            }
            index += 2
        }
        return refuse(
            "usage: ablate-supervisor --exit-record PATH [--time-limit SECONDS --grace SECONDS] [--warm NAME] -- /PATH/TO/PROGRAM [ARGUMENT…]")
    }

    private static func refuse(_ message: String) -> SupervisorArguments? {
        let line = "ablate-supervisor: \(message)\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
        return nil
    }
}
