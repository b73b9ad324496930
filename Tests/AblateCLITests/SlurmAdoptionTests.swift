import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// ablate killed while its Slurm jobs are queued or running: `ablate resume` adopts them,
/// waits for them and ingests the ones that ended meanwhile, and submits none of them again.
@Suite(.serialized, .enabled(if: LocalSlurm.isAvailable)) struct SlurmAdoptionTests {
    let directory: String

    init() throws {
        directory = Scratch.path("slurm")
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
    }

    private func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: directory + "/scratch/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func write(_ spec: String) throws -> String {
        let path = directory + "/study.yaml"
        try spec.replacingOccurrences(of: "$DIR", with: directory).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func start(_ spec: String) throws -> Process {
        let ablate = Process()
        ablate.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        ablate.arguments = ["run", spec, "--runs-dir", directory + "/Runs"]
        ablate.standardOutput = FileHandle.nullDevice
        ablate.standardError = FileHandle.nullDevice
        try ablate.run()
        return ablate
    }

    /// The run of `study` (there is one).
    private func layout(_ study: String) -> RunLayout? {
        let path = directory + "/Runs/" + study
        guard let run = (try? FileManager.default.contentsOfDirectory(atPath: path))?.first(where: { !$0.hasPrefix(".") }) else { return nil }
        return RunLayout(runDirectory: path + "/" + run)
    }

    private func job(_ study: String, _ task: String) -> String? {
        guard let layout = layout(study) else { return nil }
        return (try? AtomicFile.readJSON(TaskRecord.self, from: layout.status(task)))?.lastAttempt?.jobID
    }

    @Test func sigkillWhileJobsRunThenResumeAdoptsThemInsteadOfSubmittingAgain() async throws {
        // Its two jobs must run at once on the node.
        try await LocalSlurm.withTheNode { try await adoptsJobsAfterSigkill() }
    }

    private func adoptsJobsAfterSigkill() async throws {
        let spec = try write(
            """
            ablate: 1
            name: adopted
            executor: {type: slurm, poll_interval: 0.3}
            stages:
              quick: {kind: command, run: "echo quick >> $DIR/scratch/starts; until [ -e $DIR/scratch/end-quick ]; do sleep 0.1; done; echo '{\\"q\\": 1}' > ${outputs.output}/metrics.json"}
              slow: {kind: command, run: "echo slow >> $DIR/scratch/starts; until [ -e $DIR/scratch/end-slow ]; do sleep 0.1; done; echo done > ${outputs.output}/value"}
              after: {kind: command, run: "echo after >> $DIR/scratch/starts; cat ${stages.slow.output}/value"}
            """)
        let ablate = try start(spec)
        func job(_ task: String) -> String? { self.job("adopted", task) }
        #expect(await Waiting.until(timeout: 30) { Set(lines("starts")) == ["quick", "slow"] && job("quick") != nil && job("slow") != nil })
        let jobs = (quick: try #require(job("quick")), slow: try #require(job("slow")))
        kill(ablate.processIdentifier, SIGKILL)
        await ablate.waitForExit()
        // The quick job ends while no ablate is watching (each job runs until the test lets it
        // end); the slow one is still running.
        #expect(FileManager.default.createFile(atPath: directory + "/scratch/end-quick", contents: nil))
        #expect(await Waiting.until(timeout: 20) { LocalSlurm.state(ofJob: jobs.quick) == "COMPLETED" })
        #expect(LocalSlurm.state(ofJob: jobs.slow) == "RUNNING")

        let dryRun = try await CLIRunner.run(["resume", "adopted", "--dry-run", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(dryRun.stdout.contains("adopt   quick") && dryRun.stdout.contains("adopt   slow"), "\(dryRun.stdout)")
        // The slow job ends while the resumed run follows it.
        let endSlow = directory + "/scratch/end-slow"
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { _ = FileManager.default.createFile(atPath: endSlow, contents: nil) }
        let resume = try await CLIRunner.run(["resume", "adopted", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(resume.status == 0, "\(resume.stderr)")

        #expect(lines("starts").sorted() == ["after", "quick", "slow"], "nothing ran twice")
        let run = try #require(layout("adopted"))
        for (task, id) in [("quick", jobs.quick), ("slow", jobs.slow)] {
            let record = try AtomicFile.readJSON(TaskRecord.self, from: run.status(task))
            #expect(record.state == .completed)
            #expect(record.attempts.map(\.jobID) == [id], "\(task) kept its one job")
        }
        let status = try await CLIRunner.run(["status", "adopted", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(status.stdout.contains("(Slurm job \(jobs.slow))"), "\(status.stdout)")
        let events = try String(contentsOfFile: run.events, encoding: .utf8)
        #expect(events.components(separatedBy: "task-adopted").count - 1 == 2)
        let metrics = try RunIndex(path: run.index).metrics().filter { $0.taskId == "quick" }
        #expect(metrics.map(\.name) == ["q"], "the job that ended while ablate was away was ingested")
    }

    @Test func cancelWithoutAnAblateCancelsTheJobsADeadOneLeftBehind() async throws {
        let spec = try write(
            """
            ablate: 1
            name: abandoned
            executor: {type: slurm, poll_interval: 0.3}
            stages:
              long: {kind: command, run: "echo long >> $DIR/scratch/starts; sleep 120"}
            """)
        let ablate = try start(spec)
        #expect(await Waiting.until(timeout: 30) { lines("starts") == ["long"] && job("abandoned", "long") != nil })
        let first = try #require(job("abandoned", "long"))
        kill(ablate.processIdentifier, SIGKILL)
        await ablate.waitForExit()

        let cancel = try await CLIRunner.run(["cancel", "abandoned", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("cancelled the Slurm jobs it left behind: \(first)"))
        #expect(await Waiting.until(timeout: 10) { LocalSlurm.state(ofJob: first) == "CANCELLED" })
        let run = try #require(layout("abandoned"))
        let record = try AtomicFile.readJSON(TaskRecord.self, from: run.status("long"))
        #expect(record.state == .interrupted && record.lastAttempt?.state == .interrupted)
        let again = try await CLIRunner.run(["cancel", "abandoned", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(again.status != 0 && again.stderr.contains("is not running"), "nothing is left to cancel")
        let dryRun = try await CLIRunner.run(["resume", "abandoned", "--dry-run", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(dryRun.stdout.contains("run     long  interrupted"), "\(dryRun.stdout)")
    }
}
