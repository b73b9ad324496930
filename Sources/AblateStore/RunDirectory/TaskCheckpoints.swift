import AblateCore
import Foundation

/// A task's checkpoint folder: `checkpoint-N/` as the Trainer saves them, each counting once the
/// runner has written its `.ablate-complete` marker, or, for a sampling or evaluation task, its
/// results per prompt and `progress.json` (`{"done", "total", "unit"}`); and `fingerprint`, the
/// task version they belong to. Checkpoints of another fingerprint are never continued from.
public struct TaskCheckpoints: Sendable {
    public let directory: String

    public init(layout: RunLayout, task: String) {
        directory = layout.checkpoints(task)
    }

    private var fingerprintFile: String { directory + "/fingerprint" }

    /// Where a later attempt continues.
    public struct Position: Equatable, Sendable {
        /// What the task counts.
        public enum Unit: String, Sendable {
            /// Optimizer steps: it continues from the newest checkpoint's step.
            case step
            /// Prompts: it continues at the first one not done.
            case prompt
        }

        public var unit: Unit = .step
        /// The step of the newest checkpoint, or the number of the first prompt not done.
        public var at: Int
        /// The steps the training runs to (when the trainer recorded it), or the prompts in all.
        public var of: Int?

        /// `step 1,200 of 5,000`, `prompt 241 of 500`.
        public var description: String {
            "\(unit.rawValue) \(at.formatted(.number.grouping(.automatic)))" + (of.map { " of \($0.formatted(.number.grouping(.automatic)))" } ?? "")
        }
    }

    /// Where a later attempt of this version of the task continues: the newest complete
    /// checkpoint, or the first prompt not done; nil when it starts from the beginning.
    public func latest(for fingerprint: Fingerprint) -> Position? {
        guard belong(to: fingerprint), let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        if let progress = itemProgress(names) { return progress }
        let steps = names.compactMap { name -> Int? in
            guard name.hasPrefix("checkpoint-"), let step = Int(name.dropFirst("checkpoint-".count)),
                FileManager.default.fileExists(atPath: directory + "/" + name + "/.ablate-complete")
            else { return nil }
            return step
        }
        guard let step = steps.max() else { return nil }
        struct TrainerState: Decodable {
            var maxSteps: Int?
            enum CodingKeys: String, CodingKey { case maxSteps = "max_steps" }
        }
        let state = try? JSONDecoder().decode(
            TrainerState.self, from: Data(contentsOf: URL(fileURLWithPath: directory + "/checkpoint-\(step)/trainer_state.json")))
        return Position(at: step, of: state?.maxSteps)
    }

    /// The prompts a sampling or evaluation task has done, from its `progress.json`, or the sum of
    /// its processes' (`rank-R/progress.json`) when it shares its prompts out over several;
    /// `names` are the folder's entries.
    private func itemProgress(_ names: [String]) -> Position? {
        struct Progress: Decodable {
            var done: Int
            var total: Int
        }
        let ranks = names.filter { $0.hasPrefix("rank-") }
        let files = ranks.isEmpty ? ["progress.json"] : ranks.map { $0 + "/progress.json" }
        let parts = files.compactMap { file in
            FileManager.default.contents(atPath: directory + "/" + file).flatMap { try? JSONDecoder().decode(Progress.self, from: $0) }
        }
        let done = parts.reduce(0) { $0 + $1.done }
        let total = parts.reduce(0) { $0 + $1.total }
        guard !parts.isEmpty, done > 0, done < total else { return nil }
        return Position(unit: .prompt, at: done + 1, of: total)
    }

    /// Whether checkpoints of another version of the task are there (and would be discarded).
    public func heldForAnotherVersion(than fingerprint: Fingerprint) -> Bool {
        FileManager.default.fileExists(atPath: directory) && !belong(to: fingerprint)
    }

    /// Makes the folder ready for an attempt of `fingerprint`: checkpoints of another version
    /// are removed first. Returns whether any were.
    @discardableResult
    public func prepare(for fingerprint: Fingerprint) throws -> Bool {
        let discarded = heldForAnotherVersion(than: fingerprint)
        if discarded { try FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if !belong(to: fingerprint) { try AtomicFile.write(Data(fingerprint.value.utf8), to: fingerprintFile) }
        return discarded
    }

    /// Removes the checkpoints once the task's result is stored: they are only for continuing.
    public func remove() throws {
        if FileManager.default.fileExists(atPath: directory) { try FileManager.default.removeItem(atPath: directory) }
    }

    private func belong(to fingerprint: Fingerprint) -> Bool {
        (try? String(contentsOfFile: fingerprintFile, encoding: .utf8)) == fingerprint.value
    }
}
