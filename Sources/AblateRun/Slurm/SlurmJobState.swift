import AblateStore
import Foundation

/// A Slurm job state, as `squeue` and `sacct` name them.
enum SlurmState: Hashable, Sendable, CustomStringConvertible {
    case pending, running, completed, failed, cancelled, timeout, deadline, outOfMemory, nodeFail, bootFail, preempted
    /// Another state in which the job has not ended (`COMPLETING`, `REQUEUED`, `SUSPENDED`, …).
    case waiting(String)
    /// An end state ablate has no particular meaning for.
    case ended(String)

    private static let named: [String: SlurmState] = [
        "PENDING": .pending, "RUNNING": .running, "COMPLETED": .completed, "FAILED": .failed, "CANCELLED": .cancelled,
        "TIMEOUT": .timeout, "DEADLINE": .deadline, "OUT_OF_MEMORY": .outOfMemory, "NODE_FAIL": .nodeFail, "BOOT_FAIL": .bootFail,
        "PREEMPTED": .preempted,
    ]

    /// The other states in which the job has not ended yet.
    private static let unfinished: Set<String> = [
        "CONFIGURING", "COMPLETING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SUSPENDED", "STOPPED", "SIGNALING",
        "STAGE_OUT", "RESV_DEL_HOLD", "POWER_UP_NODE", "UPDATE_DB",
    ]

    init(_ name: String) {
        if let known = Self.named[name] {
            self = known
        } else {
            self = Self.unfinished.contains(name) ? .waiting(name) : .ended(name)
        }
    }

    var description: String {
        switch self {
        case .waiting(let name), .ended(let name): return name
        default: return Self.named.first { $0.value == self }?.key ?? "UNKNOWN"
        }
    }

    var hasEnded: Bool {
        switch self {
        case .pending, .running, .waiting: return false
        default: return true
        }
    }
}

/// A job as Slurm reports it: its state and, once it has ended, how.
struct SlurmJobState: Hashable, Sendable {
    var state: SlurmState
    var exit: ProcessExit?
    /// When it started running (seconds since 1970), if it has.
    var startTime: Double?
    /// Why it waits or ended (`Resources`, `NonZeroExitCode`, …).
    var reason: String?

    init(state: SlurmState, exit: ProcessExit? = nil, startTime: Double? = nil, reason: String? = nil) {
        self.state = state
        self.exit = exit
        self.startTime = startTime
        self.reason = reason
    }

    var isRunning: Bool { state == .running }

    /// How the attempt ended, or nil while the job is queued or running. `cancelledForTime`
    /// says ablate cancelled it at its time limit.
    func outcome(cancelledForTime: Bool = false) -> LaunchOutcome? {
        switch state {
        case .pending, .running, .waiting:
            return nil
        case .completed:
            return LaunchOutcome(exit: exit ?? .exited(0))
        case .failed:
            let exit = self.exit.flatMap { $0 == .exited(0) ? nil : $0 }
            return LaunchOutcome(exit: exit, failure: exit == nil ? "the job failed (Slurm: FAILED, \(reason ?? "no reason given"))" : nil)
        case .cancelled:
            if cancelledForTime { return LaunchOutcome(exit: exit, timedOut: true) }
            return LaunchOutcome(exit: exit, failure: "the job was cancelled (Slurm: CANCELLED)")
        case .timeout, .deadline:
            return LaunchOutcome(exit: exit, timedOut: true)
        case .outOfMemory:
            return LaunchOutcome(exit: exit, failure: "the job ran out of memory (Slurm: OUT_OF_MEMORY); raise the stage's resources.memory")
        case .nodeFail, .bootFail:
            return LaunchOutcome(exit: exit, failure: "the job's node failed (Slurm: \(state))")
        case .preempted:
            return LaunchOutcome(exit: exit, failure: "the job was preempted (Slurm: PREEMPTED)", requeue: true)
        case .ended(let name):
            return LaunchOutcome(exit: exit, failure: "the job ended in Slurm state \(name)")
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
            // A job id that is no whole number (out of range, fractional) is no job of ablate's.
            guard let id = job.id.flatMap({ Int64(exactly: $0) }), let state = job.state else { continue }
            states[String(id)] = SlurmJobState(
                state: SlurmState(state), exit: job.exit, startTime: job.startTime.flatMap { $0 > 0 && $0.isFinite ? $0 : nil }, reason: job.reason)
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
            states[fields[0]] = SlurmJobState(state: SlurmState(String(state)), exit: exit)
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
        // Codes that are no 32-bit whole number are read as unknown, never converted with a trap.
        if let object = try? container.decodeIfPresent(ExitObject.self, forKey: .exitCode) {
            if let signal = object.signal?.id?.value.flatMap({ Int32(exactly: $0) }), signal > 0 {
                exit = .signaled(signal)
            } else {
                exit = object.returnCode?.value.flatMap { Int32(exactly: $0) }.map { .exited($0) }
            }
        } else if let status = (try? container.decodeIfPresent(SlurmNumber.self, forKey: .exitCode))?.value.flatMap({ Int32(exactly: $0) }) {
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
