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
    /// Only the fields ablate uses are decoded: the rest of a busy cluster's megabytes are skipped.
    static func parseQueue(_ data: Data) throws -> [String: SlurmJobState] {
        let document: QueueDocument
        do {
            document = try JSONDecoder().decode(QueueDocument.self, from: data)
        } catch {
            throw SlurmError.unreadable("squeue --json", "\(error)")
        }
        var states: [String: SlurmJobState] = [:]
        for job in document.jobs {
            guard let id = job.id, let state = job.state else { continue }
            states[String(Int(id))] = SlurmJobState(
                state: state, exit: job.exit, startTime: job.startTime.flatMap { $0 > 0 ? $0 : nil }, reason: job.reason)
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
}

/// The part of `squeue --json` that ablate reads.
private struct QueueDocument: Decodable {
    var jobs: [QueuedJob]
}

/// One job of `squeue --json`, in any of the layouts Slurm versions print.
private struct QueuedJob: Decodable {
    var id: Double?
    var state: String?
    var exit: ProcessExit?
    var startTime: Double?
    var reason: String?

    private enum Keys: String, CodingKey {
        case jobID = "job_id", jobState = "job_state", exitCode = "exit_code", startTime = "start_time", stateReason = "state_reason"
    }

    /// `{"status": [...], "return_code": N, "signal": {"id": N}}` (23.02 and later).
    private struct ExitObject: Decodable {
        struct Signal: Decodable { var id: SlurmNumber? }
        var returnCode: SlurmNumber?
        var signal: Signal?

        private enum CodingKeys: String, CodingKey { case returnCode = "return_code", signal }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        id = try? container.decodeIfPresent(SlurmNumber.self, forKey: .jobID)?.value
        if let text = try? container.decodeIfPresent(String.self, forKey: .jobState) {
            state = text
        } else {
            state = (try? container.decodeIfPresent([String].self, forKey: .jobState))?.first
        }
        startTime = try? container.decodeIfPresent(SlurmNumber.self, forKey: .startTime)?.value
        reason = try? container.decodeIfPresent(String.self, forKey: .stateReason)
        if let object = try? container.decodeIfPresent(ExitObject.self, forKey: .exitCode) {
            if let signal = object.signal?.id?.value, signal > 0 {
                exit = .signaled(Int32(signal))
            } else {
                exit = object.returnCode?.value.map { .exited(Int32($0)) }
            }
        } else if let status = (try? container.decodeIfPresent(SlurmNumber.self, forKey: .exitCode))?.value.map({ Int32($0) }) {
            // A raw wait status: the exit code in the high byte, a signal in the low bits.
            exit = status & 0x7f != 0 ? .signaled(status & 0x7f) : .exited(status >> 8)
        }
    }
}

/// A number as Slurm prints it: plain, or `{"set": true, "number": N}`.
private struct SlurmNumber: Decodable {
    var value: Double?

    private struct Wrapped: Decodable {
        var set: Bool?
        var number: Double?
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            value = number
        } else {
            let wrapped = try container.decode(Wrapped.self)
            value = wrapped.set == false ? nil : wrapped.number
        }
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
