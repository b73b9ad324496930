import Foundation

/// A job as Slurm reports it: its state and, once it has ended, how.
struct SlurmJobState: Hashable, Sendable {
    /// `PENDING`, `RUNNING`, `COMPLETED`, `FAILED`, `CANCELLED`, `TIMEOUT`, …
    var state: String
    var exit: ProcessExit?
    /// When it started running (seconds since 1970), if it has.
    var startTime: Double?
    /// Why it waits or ended (`Resources`, `NonZeroExitCode`, …).
    var reason: String?

    /// States in which the job has not ended yet.
    static let unfinished: Set<String> = [
        "PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SUSPENDED",
        "STOPPED", "SIGNALING", "STAGE_OUT", "RESV_DEL_HOLD", "POWER_UP_NODE", "UPDATE_DB",
    ]

    var isRunning: Bool { state == "RUNNING" }

    /// How the attempt ended, or nil while the job is queued or running. `cancelledForTime`
    /// says ablate cancelled it at its time limit.
    func outcome(cancelledForTime: Bool = false) -> LaunchOutcome? {
        if Self.unfinished.contains(state) { return nil }
        switch state {
        case "COMPLETED":
            return LaunchOutcome(exit: exit ?? .exited(0))
        case "FAILED":
            let exit = self.exit.flatMap { $0 == .exited(0) ? nil : $0 }
            return LaunchOutcome(exit: exit, failure: exit == nil ? "the job failed (Slurm: FAILED, \(reason ?? "no reason given"))" : nil)
        case "CANCELLED":
            if cancelledForTime { return LaunchOutcome(exit: exit, timedOut: true) }
            return LaunchOutcome(exit: exit, failure: "the job was cancelled (Slurm: CANCELLED)")
        case "TIMEOUT", "DEADLINE":
            return LaunchOutcome(exit: exit, timedOut: true)
        case "OUT_OF_MEMORY":
            return LaunchOutcome(exit: exit, failure: "the job ran out of memory (Slurm: OUT_OF_MEMORY); raise the stage's resources.memory")
        case "NODE_FAIL", "BOOT_FAIL":
            return LaunchOutcome(exit: exit, failure: "the job's node failed (Slurm: \(state))")
        case "PREEMPTED":
            return LaunchOutcome(exit: exit, failure: "the job was preempted (Slurm: PREEMPTED)", requeue: true)
        default:
            return LaunchOutcome(exit: exit, failure: "the job ended in Slurm state \(state)")
        }
    }

    // MARK: Reading Slurm's answers

    /// The jobs in `squeue --json` output, by job id. Reads both the 22.05 layout (plain
    /// values, `exit_code` a raw wait status) and later ones (lists and `{set, number}` objects).
    static func parseQueue(_ data: Data) throws -> [String: SlurmJobState] {
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any], let jobs = document["jobs"] as? [[String: Any]]
        else { throw SlurmError.unreadable("squeue --json", "no 'jobs' list") }
        var states: [String: SlurmJobState] = [:]
        for job in jobs {
            guard let id = number(job["job_id"]).map({ String(Int($0)) }) else { continue }
            let state: String?
            if let text = job["job_state"] as? String {
                state = text
            } else {
                state = (job["job_state"] as? [String])?.first
            }
            guard let state else { continue }
            let start = number(job["start_time"])
            states[id] = SlurmJobState(
                state: state, exit: exitStatus(job["exit_code"]), startTime: start.flatMap { $0 > 0 ? $0 : nil },
                reason: job["state_reason"] as? String)
        }
        return states
    }

    /// `JobID|State|ExitCode` lines from `sacct -n -P -X -o JobID,State,ExitCode`.
    static func parseAccounting(_ text: String) -> [String: SlurmJobState] {
        var states: [String: SlurmJobState] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3, let state = fields[1].split(separator: " ").first else { continue }
            let codes = fields[2].split(separator: ":").compactMap { Int32($0) }
            var exit: ProcessExit?
            if codes.count == 2 { exit = codes[1] != 0 ? .signaled(codes[1]) : .exited(codes[0]) }
            states[fields[0]] = SlurmJobState(state: String(state), exit: exit, startTime: nil, reason: nil)
        }
        return states
    }

    /// A number, or the `number` of a `{set, number}` object.
    private static func number(_ value: Any?) -> Double? {
        if let value = value as? NSNumber { return value.doubleValue }
        if let object = value as? [String: Any], object["set"] as? Bool != false { return number(object["number"]) }
        return nil
    }

    private static func exitStatus(_ value: Any?) -> ProcessExit? {
        if let object = value as? [String: Any] {
            if let signal = number((object["signal"] as? [String: Any])?["id"]), signal > 0 { return .signaled(Int32(signal)) }
            return number(object["return_code"]).map { .exited(Int32($0)) }
        }
        // A raw wait status: the exit code in the high byte, a signal in the low bits.
        guard let status = number(value).map({ Int32($0) }) else { return nil }
        return status & 0x7f != 0 ? .signaled(status & 0x7f) : .exited(status >> 8)
    }
}

/// Slurm refused a request or gave an answer ablate cannot read.
enum SlurmError: Error, CustomStringConvertible {
    case failed(String, String)
    case unreadable(String, String)

    var description: String {
        switch self {
        case .failed(let command, let message): return "\(command) failed: \(message)"
        case .unreadable(let command, let problem): return "cannot read what \(command) printed: \(problem)"
        }
    }
}
