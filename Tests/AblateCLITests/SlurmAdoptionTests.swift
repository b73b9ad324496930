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
        directory = NSTemporaryDirectory() + "ablate-slurm-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
    }

    private func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: directory + "/scratch/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func wait(until condition: () -> Bool, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }

    @Test func sigkillWhileJobsRunThenResumeAdoptsThemInsteadOfSubmittingAgain() throws {
        let spec = directory + "/study.yaml"
        try """
        ablate: 1
        name: adopted
        executor: {type: slurm, poll_interval: 0.3}
        stages:
          quick: {kind: command, run: "echo quick >> $DIR/scratch/starts; sleep 1; echo '{\\"q\\": 1}' > ${outputs.output}/metrics.json"}
          slow: {kind: command, run: "echo slow >> $DIR/scratch/starts; sleep 8; echo done > ${outputs.output}/value"}
          after: {kind: command, run: "echo after >> $DIR/scratch/starts; cat ${stages.slow.output}/value"}
        """.replacingOccurrences(of: "$DIR", with: directory).write(toFile: spec, atomically: true, encoding: .utf8)
        let ablate = Process()
        ablate.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        ablate.arguments = ["run", spec, "--runs-dir", directory + "/Runs"]
        ablate.standardOutput = FileHandle.nullDevice
        ablate.standardError = FileHandle.nullDevice
        try ablate.run()

        let study = directory + "/Runs/adopted"
        func layout() -> RunLayout? {
            guard let run = (try? FileManager.default.contentsOfDirectory(atPath: study))?.first(where: { !$0.hasPrefix(".") }) else { return nil }
            return RunLayout(runDirectory: study + "/" + run)
        }
        func job(_ task: String) -> String? {
            guard let layout = layout() else { return nil }
            return (try? AtomicFile.readJSON(TaskRecord.self, from: layout.status(task)))?.lastAttempt?.jobID
        }
        #expect(wait(until: { Set(lines("starts")) == ["quick", "slow"] && job("quick") != nil && job("slow") != nil }, timeout: 30))
        let jobs = (quick: try #require(job("quick")), slow: try #require(job("slow")))
        kill(ablate.processIdentifier, SIGKILL)
        ablate.waitUntilExit()
        // The quick job ends while no ablate is watching; the slow one is still running.
        #expect(wait(until: { LocalSlurm.state(ofJob: jobs.quick) == "COMPLETED" }, timeout: 20))
        #expect(LocalSlurm.state(ofJob: jobs.slow) == "RUNNING")

        let dryRun = try CLIRunner.run(["resume", "adopted", "--dry-run", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(dryRun.stdout.contains("adopt   quick") && dryRun.stdout.contains("adopt   slow"), "\(dryRun.stdout)")
        let resume = try CLIRunner.run(["resume", "adopted", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(resume.status == 0, "\(resume.stderr)")

        #expect(lines("starts").sorted() == ["after", "quick", "slow"], "nothing ran twice")
        let run = try #require(layout())
        for (task, id) in [("quick", jobs.quick), ("slow", jobs.slow)] {
            let record = try AtomicFile.readJSON(TaskRecord.self, from: run.status(task))
            #expect(record.state == .completed)
            #expect(record.attempts.map(\.jobID) == [id], "\(task) kept its one job")
        }
        let events = try String(contentsOfFile: run.events, encoding: .utf8)
        #expect(events.components(separatedBy: "task-adopted").count - 1 == 2)
        let metrics = try RunIndex(path: run.index).metrics().filter { $0.taskId == "quick" }
        #expect(metrics.map(\.name) == ["q"], "the job that ended while ablate was away was ingested")
    }
}
