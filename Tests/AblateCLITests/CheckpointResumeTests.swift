import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A study of the tiny model and stages that use it, run by the real binary in the background
/// while a test watches its run directory.
struct TrainingStudy {
    let directory: String
    let name: String

    /// Writes the study with an SFT stage and the SFT stage's extra `settings` (YAML lines,
    /// indented), on `sample` records drawn from the instructions when given.
    init(name: String, settings: String, sample: Int? = nil) throws {
        try self.init(
            name: name,
            sample: sample,
            stages: """
                  sft:
                    kind: sft
                    model: ${stages.tiny-model.model}
                    data: instructions
                    batch_size: 2
                    max_length: 64
                    lora: {r: 8, alpha: 16, target_modules: [q_proj, v_proj]}
                \(settings)
                """)
    }

    /// Writes the study with `stages` (YAML lines under `stages:`, after `tiny-model`), the
    /// quickstart's instructions as the dataset `instructions` (`sample` of them, drawn with the
    /// stage's seed, when given) and `datasets` (YAML lines) after it, and `files` (name → text)
    /// beside it.
    init(name: String, sample: Int? = nil, stages: String, datasets: String = "", files: [String: String] = [:]) throws {
        self.name = name
        directory = Scratch.path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: CLIRunner.testsDirectory + "/../../Experiments/data/quickstart/instructions.jsonl", toPath: directory + "/instructions.jsonl")
        for (file, text) in files { try text.write(toFile: directory + "/" + file, atomically: true, encoding: .utf8) }
        try """
        ablate: 1
        name: \(name)
        datasets:
          instructions: {path: instructions.jsonl, format: prompt-completion\(sample.map { ", sample: \($0)" } ?? "")}
        \(datasets)
        stages:
          tiny-model: {kind: tiny-model}
        \(stages)

        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
    }

    var environment: [String: String] { ["HF_HOME": directory + "/hf-home"] }
    var runs: String { directory + "/Runs" }

    /// Starts ablate in the study's directory (`run study.yaml` or `resume NAME`, say) in the background.
    func start(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        process.arguments = arguments + ["--runs-dir", runs, "--json"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The run's layout, once its directory exists.
    var layout: RunLayout? {
        guard let id = try? FileManager.default.contentsOfDirectory(atPath: runs + "/" + name).first(where: { !$0.hasPrefix(RunLayout.stagingPrefix) })
        else { return nil }
        return RunLayout(runDirectory: runs + "/" + name + "/" + id)
    }

    /// Runs the study with `flags`; once `ready` holds for its run directory, calls `act` once.
    /// Returns ablate's exit status and the run's layout.
    func run(_ flags: [String] = [], when ready: (RunLayout) throws -> Bool, act: (RunLayout) throws -> Void) async throws -> (Int32, RunLayout?) {
        let run = try start(["run", "study.yaml"] + flags)
        var layout: RunLayout?
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline, run.isRunning {
            layout = self.layout
            if let layout, try ready(layout) {
                try act(layout)
                break
            }
            try await Task.sleep(for: .seconds(0.05))
        }
        await run.waitForExit()
        return (run.terminationStatus, layout)
    }
}

/// A training stage killed half-way continues from its last complete checkpoint: `resume
/// --dry-run` says from which step, `resume` runs only the steps left, the metric series has each
/// step once, and the checkpoints go once the result is stored. It runs the real SFT runner on the
/// tiny model, so it needs the runners' environment (`Scripts/test.sh` sets `ABLATE_TEST_PYTHON`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct CheckpointResumeTests {
    let study = try? TrainingStudy(name: "checkpoints", settings: "    max_steps: 60\n    learning_rate: 1e-3\n    checkpoint: {every: 10, keep: 2}")

    @Test func aKilledTrainingContinuesFromItsLastCheckpointOnResume() async throws {
        let study = try #require(study)
        // Kill the trainer and its supervisor (not ablate) once its second checkpoint is complete
        // and before its third. The trainer starts cold: warm, it trains its first 20 steps in
        // about the second after which a running task's pid is recorded, and the kill, which
        // needs that pid, came after the third checkpoint or the task's end.
        let (status, layout) = try await study.run(
            ["--no-warm-start"],
            when: { layout in
                FileManager.default.fileExists(atPath: layout.checkpoints("sft") + "/checkpoint-20/.ablate-complete")
                    && (try? layout.readTaskRecord("sft"))??.lastAttempt?.pid != nil
            }
        ) { layout in
            if let pid = try layout.readTaskRecord("sft")?.lastAttempt?.pid { Processes.killSession(pid) }
        }
        let killed = try #require(layout)
        #expect(status == 1)
        #expect(try killed.readTaskRecord("sft")?.state == .failed)

        let shown = try await CLIRunner.run(["status", killed.runDirectory, "--runs-dir", study.runs], in: study.directory, environment: study.environment)
        let statusLine = shown.stdout.split(separator: "\n").first { $0.hasPrefix("  sft ") } ?? ""
        #expect(statusLine.contains("killed by signal 9; continues from step 20 of 60"), "\(shown.stdout)")
        let dryRun = try await CLIRunner.run(
            ["resume", killed.runDirectory, "--dry-run", "--runs-dir", study.runs], in: study.directory, environment: study.environment)
        let sftLine = dryRun.stdout.split(separator: "\n").first { $0.contains("sft") && !$0.contains("tiny") } ?? ""
        #expect(sftLine.contains("failed: killed by signal 9; continues from step 20 of 60"), "\(dryRun.stdout)")

        let resumed = try await CLIRunner.run(
            ["resume", killed.runDirectory, "--runs-dir", study.runs, "--json"], in: study.directory, environment: study.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let record = try #require(try killed.readTaskRecord("sft"))
        #expect(record.state == .completed && record.attempts.count == 2)
        let stdout = try String(contentsOfFile: killed.stdout("sft"), encoding: .utf8)
        #expect(stdout.contains("continuing from step 20 of 60"))
        let series = try String(contentsOfFile: killed.outputs("sft") + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["loss"] != nil else { return nil }
            return object["step"] as? Int
        }
        #expect(series == Array(1...60), "each step of the series once, across both attempts")
        #expect(!FileManager.default.fileExists(atPath: killed.checkpoints("sft")), "the checkpoints go once the result is stored")
    }
}

/// SIGKILL at random moments during a study with a real training stage: ablate is killed in
/// every round, and in every other round the trainer's process group too (a node that died).
/// The trainer goes on without its ablate and the next one follows it; a killed trainer continues
/// from its last checkpoint. In the end every task completed once, the series has each of the 60
/// steps once, and the trainer ran no more attempts than it was killed.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct TrainingChaosTests {
    @Test func killingAblateAndTheTrainerAtRandomMomentsTrainsEachStepOnce() async throws {
        let study = try TrainingStudy(name: "chaos-training", settings: "    max_steps: 60\n    learning_rate: 1e-3\n    checkpoint: {every: 10, keep: 2}")
        var generator = SystemRandomNumberGenerator()
        var trainerKills = 0
        /// The trainer's process group while it trains.
        func trainer() -> Int32? {
            guard let attempt = try? study.layout?.readTaskRecord("sft")?.lastAttempt, attempt.endedAt == nil, let group = attempt.pid else { return nil }
            return Processes.isAlive(group) ? group : nil
        }
        for round in 0..<6 {
            let ablate = try study.start(round == 0 ? ["run", "study.yaml"] : ["resume", study.name])
            // Killed before its run exists, the first ablate would leave nothing to resume.
            if round == 0 { _ = await Waiting.until(timeout: 90) { study.layout != nil } }
            let killsTrainer = round % 2 == 1
            if killsTrainer { _ = await Waiting.until(timeout: 90) { trainer() != nil } }
            try await Task.sleep(for: .seconds(Double.random(in: 1...4, using: &generator)))
            kill(ablate.processIdentifier, SIGKILL)
            await ablate.waitForExit()
            if killsTrainer, let group = trainer() {
                Processes.killSession(group)
                trainerKills += 1
            }
        }
        #expect(trainerKills >= 1, "the trainer was killed at least once while it trained")
        let finish = try study.start(["resume", study.name])
        #expect(await Waiting.until(timeout: 300) { !finish.isRunning })
        await finish.waitForExit()
        #expect(finish.terminationStatus == 0)

        let layout = try #require(study.layout)
        for task in try layout.taskRecords() {
            #expect(task.state.isDone, "\(task.id) is \(task.state)")
            #expect(task.attempts.filter { $0.state == .completed }.count <= 1, "\(task.id) completed more than once")
        }
        let training = try #require(try layout.readTaskRecord("sft"))
        #expect(training.attempts.count <= 1 + trainerKills, "an attempt only for each killed trainer: \(training.attempts.count), \(trainerKills) kills")
        let steps = try String(contentsOfFile: layout.outputs("sft") + "/metrics.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
            line -> Int? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["loss"] != nil else { return nil }
            return object["step"] as? Int
        }
        #expect(steps == Array(1...60), "each step of the series once, across every attempt")
    }
}

/// A trainer warned before its time limit (SIGUSR2, as Slurm's `--signal=B:USR2@120` sends it)
/// saves a checkpoint, stops with the checkpointed status, and runs again from it without using up
/// a retry — as a local process and as a Slurm job.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct CheckpointSignalTests {
    let study = try? TrainingStudy(name: "signalled", settings: "    max_steps: 400\n    resources: {time: 15m}")

    /// Runs the study and, once the trainer has logged ten steps, warns it with `signal`.
    private func runSignalling(_ flags: [String], signal: @escaping (TaskRecord) throws -> Void) async throws -> (Int32, RunLayout?) {
        let study = try #require(study)
        return try await study.run(
            flags,
            when: { layout in
                let series = try? String(contentsOfFile: layout.outputs("sft") + "/metrics.jsonl", encoding: .utf8)
                return series?.contains(#""step": 10,"#) == true && (try? layout.readTaskRecord("sft")) != nil
            }
        ) { layout in
            if let record = try layout.readTaskRecord("sft") { try signal(record) }
        }
    }

    /// Runs the study on the local cluster and, once the trainer has logged ten steps, runs
    /// `command` with the job's id (`scancel …`, `scontrol requeue`).
    private func runOnSlurm(acting command: [String]) async throws -> (Int32, RunLayout?) {
        try await runSignalling(["--executor", "slurm", "--poll-interval", "0.3"]) { record in
            guard let job = record.lastAttempt?.jobID else { return }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command + [job]
            try process.run()
            process.waitUntilExit()
        }
    }

    private func expectContinued(_ layout: RunLayout?) throws {
        let layout = try #require(layout)
        let record = try #require(try layout.readTaskRecord("sft"))
        #expect(record.state == .completed && record.attempts.count == 2, "one attempt stopped at the warning, one continued")
        #expect(record.attempts.first?.exitCode == 75, "the first stopped with the checkpointed status")
        #expect(try String(contentsOfFile: layout.stdout("sft"), encoding: .utf8).contains("continuing from step "))
    }

    @Test func locallyTheSignalledTrainerRunsAgainFromItsCheckpoint() async throws {
        let (status, layout) = try await runSignalling([]) { record in
            if let pid = record.lastAttempt?.pid { kill(pid, SIGUSR2) }
        }
        #expect(status == 0, "the task has no retries, and needed none")
        try expectContinued(layout)
    }

    /// Its training job holds one of the local cluster's two cores for tens of seconds, which
    /// starves the Slurm tests that need both at once when the suites run side by side; it runs
    /// when `ABLATE_SLURM_TRAINING_TESTS=1` asks for it (the requeue it relies on is the local
    /// test's, and the `--signal` flag is checked in `SlurmParsingTests`).
    @Test(.enabled(if: LocalSlurm.isAvailable && ProcessInfo.processInfo.environment["ABLATE_SLURM_TRAINING_TESTS"] == "1"))
    func underSlurmTheWarnedJobIsSubmittedAgainAndContinues() async throws {
        // What Slurm sends two minutes before the limit, sent now.
        let (status, layout) = try await runOnSlurm(acting: ["scancel", "--signal=USR2", "--batch"])
        #expect(status == 0)
        try expectContinued(layout)
        let jobs = try #require(try layout?.readTaskRecord("sft")?.attempts.compactMap(\.jobID))
        #expect(Set(jobs).count == 2, "submitted again as a new job")
    }

    /// `scontrol requeue` (what an administrator, or a preemption with requeue, does) stops the
    /// job and runs it again as the same job: the trainer continues from its checkpoint, and ablate
    /// follows the one job to its end.
    @Test(.enabled(if: LocalSlurm.isAvailable && ProcessInfo.processInfo.environment["ABLATE_SLURM_TRAINING_TESTS"] == "1"))
    func aRequeuedJobContinuesFromItsCheckpoint() async throws {
        let (status, layout) = try await runOnSlurm(acting: ["scontrol", "requeue"])
        #expect(status == 0)
        let record = try #require(try layout?.readTaskRecord("sft"))
        #expect(record.state == .completed && record.attempts.count == 1, "one attempt: the same job, run again by Slurm")
        let stdout = try String(contentsOfFile: try #require(layout).stdout("sft"), encoding: .utf8)
        #expect(stdout.contains("continuing from step "), "\(stdout.suffix(500))")
    }
}
