import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import GRDB
import Testing

/// The real `ablate` process under signals: Ctrl-C stops every task cleanly, and a run
/// killed with SIGKILL at any moment resumes to completion without running finished work
/// again.
@Suite(.serialized) struct InterruptionTests {
    let directory: String

    init() throws {
        directory = Scratch.path("signals")
        try FileManager.default.createDirectory(atPath: directory + "/scratch", withIntermediateDirectories: true)
    }

    private func write(_ spec: String) throws -> String {
        let path = directory + "/study.yaml"
        try spec.replacingOccurrences(of: "$DIR", with: directory).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Writes a study of one stage, given as its line under `stages:`.
    private func writeStudy(_ name: String, stage: String) throws -> String {
        try write("ablate: 1\nname: \(name)\nstages:\n  \(stage)\n")
    }

    /// Starts ablate; its standard error goes to `errors` in the scratch directory, if given.
    private func start(_ arguments: [String], errors: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CLIRunner.executable)
        process.arguments = arguments + ["--runs-dir", directory + "/Runs"]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        if let errors { _ = FileManager.default.createFile(atPath: directory + "/scratch/" + errors, contents: nil) }
        process.standardError = FileHandle(forWritingAtPath: errors.map { directory + "/scratch/" + $0 } ?? "/dev/null")
        try process.run()
        return process
    }

    private func lines(_ file: String) -> [String] {
        ((try? String(contentsOfFile: directory + "/scratch/" + file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    private func runDirectory() throws -> String {
        let study = directory + "/Runs/" + (try FileManager.default.contentsOfDirectory(atPath: directory + "/Runs").first { !$0.hasPrefix(".") } ?? "")
        return study + "/" + (try FileManager.default.contentsOfDirectory(atPath: study).filter { !$0.hasPrefix(RunLayout.stagingPrefix) }.sorted().last ?? "")
    }

    /// A run's directory appears with its record in it (it is made under a hidden name and
    /// renamed): an ablate killed at any moment leaves no run, or one that `resume` continues,
    /// never a directory that no command takes for a run.
    @Test func aRunDirectoryNeverAppearsWithoutItsRecord() async throws {
        let spec = try writeStudy("appearing", stage: "quick: {kind: command, command: [\"true\"]}")
        let ablate = try start(["run", spec])
        let study = directory + "/Runs/appearing"
        let (seen, lacking) = try await onOwnThread { () -> (Bool, String?) in
            var seen = false
            let deadline = Date().addingTimeInterval(60)
            while ablate.isRunning && Date() < deadline {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: study)) ?? [] where !name.hasPrefix(RunLayout.stagingPrefix) {
                    seen = true
                    if !FileManager.default.fileExists(atPath: study + "/" + name + "/run.json") { return (seen, name) }
                }
                usleep(200)
            }
            return (seen, nil)
        }
        await ablate.waitForExit()
        #expect(seen, "the run's directory appeared while ablate ran")
        #expect(lacking == nil, "the run directory \(lacking ?? "") was there without its run.json")
        #expect(ablate.terminationStatus == 0)
    }

    @Test func ctrlCWhileThreeTasksRunStopsThemAllAndRecordsThemInterrupted() async throws {
        let spec = try write(
            """
            ablate: 1
            name: stoppable
            sweep:
              grid:
                i: [1, 2, 3]
            stages:
              long: {kind: command, run: "echo $$ >> $DIR/scratch/pids; sleep 6${sweep.i} & echo $! >> $DIR/scratch/pids; wait"}
            """)
        let ablate = try start(["run", spec, "--jobs", "3", "--cpus", "3", "--kill-grace", "2"])
        #expect(await Waiting.until(timeout: 20) { lines("pids").count == 6 }, "three tasks and their children started")
        kill(ablate.processIdentifier, SIGINT)
        #expect(await Waiting.until(timeout: 15) { !ablate.isRunning })
        await ablate.waitForExit()
        #expect(ablate.terminationStatus == 130)
        for pid in lines("pids").compactMap(Int32.init) {
            #expect(!Processes.isAlive(pid), "process \(pid) outlived ablate")
        }
        let layout = RunLayout(runDirectory: try runDirectory())
        let run = try AtomicFile.readJSON(RunRecord.self, from: layout.runRecord)
        #expect(run.state == .interrupted)
        let states = try ["long[i=1]", "long[i=2]", "long[i=3]"].map { try AtomicFile.readJSON(TaskRecord.self, from: layout.status($0)).state }
        #expect(states == [.interrupted, .interrupted, .interrupted])
    }

    @Test func cancelStopsARunningRunFromAnotherProcess() async throws {
        let spec = try writeStudy("cancellable", stage: "long: {kind: command, run: \"echo $$ >> $DIR/scratch/pids; exec sleep 60\"}")
        let ablate = try start(["run", spec, "--kill-grace", "2"])
        #expect(await Waiting.until(timeout: 20) { lines("pids").count == 1 })
        let cancel = try await CLIRunner.run(["cancel", "cancellable", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.hasPrefix("asked ablate (PID \(ablate.processIdentifier)) to stop run cancellable/"))
        #expect(await Waiting.until(timeout: 15) { !ablate.isRunning })
        await ablate.waitForExit()
        #expect(ablate.terminationStatus == 130)
        #expect(lines("pids").compactMap(Int32.init).allSatisfy { !Processes.isAlive($0) })
        let layout = RunLayout(runDirectory: try runDirectory())
        #expect(try AtomicFile.readJSON(TaskRecord.self, from: layout.status("long")).state == .interrupted)
        let again = try await CLIRunner.run(["cancel", "cancellable", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(again.status != 0)
        #expect(again.stderr.contains("is not running"))
    }

    @Test func sigkillAtTwentyRandomMomentsThenResumeCompletesEveryTaskOnce() async throws {
        let spec = try write(
            """
            ablate: 1
            name: chaos
            sweep:
              grid:
                i: [1, 2, 3]
            stages:
              prepare: {kind: command, run: "echo start prepare >> $DIR/scratch/log; sleep 0.2; echo x > ${outputs.output}/data; echo done prepare >> $DIR/scratch/log"}
              train:
                kind: command
                run: "echo start train${sweep.i} >> $DIR/scratch/log; sleep 0.3; cat ${stages.prepare.output}/data > ${outputs.output}/model; echo done train${sweep.i} >> $DIR/scratch/log"
              eval:
                kind: command
                run: "echo start eval${sweep.i} >> $DIR/scratch/log; sleep 0.1; echo '{\\"acc\\": ${sweep.i}}' > ${outputs.output}/metrics.json; echo done eval${sweep.i} >> $DIR/scratch/log"
                inputs: {model: "${stages.train.output}"}
              report: {kind: command, run: "echo start report${sweep.i} >> $DIR/scratch/log; cat ${stages.eval.output}/metrics.json; echo done report${sweep.i} >> $DIR/scratch/log"}
            """)
        var generator = SystemRandomNumberGenerator()
        var first = true
        for _ in 0..<20 {
            let ablate = try start(first ? ["run", spec, "--jobs", "2", "--retry-delay", "0.05"] : ["resume", "chaos", "--jobs", "2"])
            if first {
                // A run killed before its directory exists is no run at all: start from one.
                #expect(await Waiting.until(timeout: 20) { (try? runDirectory()).map { FileManager.default.fileExists(atPath: $0 + "/run.json") } ?? false })
            }
            first = false
            try await Task.sleep(for: .seconds(Double.random(in: 0.02...0.5, using: &generator)))
            kill(ablate.processIdentifier, SIGKILL)
            await ablate.waitForExit()
        }
        let finish = try start(["resume", "chaos", "--jobs", "2"], errors: "resume-errors")
        #expect(await Waiting.until(timeout: 60) { !finish.isRunning })
        await finish.waitForExit()
        #expect(finish.terminationStatus == 0, "\(lines("resume-errors").suffix(20).joined(separator: "\n"))")

        let layout = RunLayout(runDirectory: try runDirectory())
        let tasks = try layout.taskRecords()
        #expect(tasks.count == 10)
        for task in tasks {
            #expect(task.state.isDone, "\(task.id) is \(task.state)")
            // Once a task completed, it never ran again: its completed attempt is its last.
            let completed = task.attempts.filter { $0.state == .completed }
            #expect(completed.count <= 1, "\(task.id) completed \(completed.count) times")
            if let last = task.attempts.last { #expect(last.state == .completed || task.state == .cached) }
        }
        // Each task started once and finished: a task running when its ablate was killed went on
        // under its supervisor, and the next ablate followed it instead of starting it again.
        var marks: [String: [String]] = [:]
        for line in lines("log") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { marks[String(parts[1]), default: []].append(String(parts[0])) }
        }
        #expect(marks.count == 10 && marks.values.allSatisfy { $0 == ["start", "done"] }, "\(marks)")
        let live = try RunIndex(path: layout.index).dump()
        _ = try Reindexer.reindex(runDirectory: layout.runDirectory)
        #expect(try RunIndex(path: layout.index).dump() == live)
    }

    /// `logs --follow` started in a task's first second, before its record says it runs,
    /// follows it to its end.
    @Test func logsFollowATaskFromItsFirstSecondToItsEnd() async throws {
        let spec = try writeStudy("followed", stage: "talk: {kind: command, run: \"echo one; sleep 2; echo two\"}")
        let ablate = try start(["run", spec])
        #expect(await Waiting.until(timeout: 20) { (try? runDirectory()).map { said(RunLayout(runDirectory: $0).stdout("talk")) == ["one"] } ?? false })
        let layout = RunLayout(runDirectory: try runDirectory())
        let logs = try await CLIRunner.run(["logs", layout.runDirectory, "talk", "--follow"], in: directory)
        #expect(logs.status == 0 && logs.stdout == "one\ntwo\n", "\(logs.stdout) \(logs.stderr)")
        await ablate.waitForExit()
    }

    private func said(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Runs a study of one long local task, `name`, kills ablate (SIGKILL) once the task runs
    /// (and, when `recorded`, once its record names its group; when not, its record goes), and
    /// cancels the run; returns the run, whose task the cancel stopped.
    private func cancelAfterKillingAblate(_ name: String, recorded: Bool) async throws -> RunLayout {
        let spec = try writeStudy(name, stage: "long: {kind: command, run: \"echo $$ >> $DIR/scratch/pids; sleep 60\"}")
        let ablate = try start(["run", spec])
        #expect(await Waiting.until(timeout: 20) { lines("pids").count == 1 }, "the task started")
        let layout = RunLayout(runDirectory: try runDirectory())
        if recorded {
            #expect(await Waiting.until(timeout: 10) { (try? layout.readTaskRecord("long"))??.lastAttempt?.pid != nil }, "its group is recorded")
        }
        kill(ablate.processIdentifier, SIGKILL)
        await ablate.waitForExit()
        // Killed within the task's first second, ablate has almost always written no record;
        // when it did, the record goes, and the run is as if it had not.
        if !recorded { unlink(layout.status("long")) }
        let shell = try #require(lines("pids").first.flatMap(Int32.init))
        #expect(Processes.isAlive(shell), "a local task goes on when its ablate is killed")

        let cancel = try await CLIRunner.run(["cancel", name, "--runs-dir", directory + "/Runs"], in: directory)
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(cancel.stdout.contains("killed the process groups it left behind: "), "\(cancel.stdout)")
        #expect(await Waiting.until(timeout: 10) { !Processes.isAlive(shell) }, "the task's group is gone")
        return layout
    }

    @Test func cancelWithoutAnAblateKillsTheLocalTasksADeadOneLeftBehind() async throws {
        let layout = try await cancelAfterKillingAblate("orphaned", recorded: true)
        let record = try #require(try layout.readTaskRecord("long"))
        #expect(record.state == .interrupted && record.lastAttempt?.state == .interrupted && record.lastAttempt?.endedAt != nil)
        #expect(record.reason?.contains("was stopped with 'ablate cancel' while no ablate followed it") == true, "\(record.reason ?? "")")
        let indexed = try await RunIndex(path: layout.index).writer.read { try String.fetchOne($0, sql: "SELECT state FROM task WHERE taskId = 'long'") }
        #expect(indexed == "interrupted", "the index says what the task's file says")
        let again = try await CLIRunner.run(["cancel", "orphaned", "--runs-dir", directory + "/Runs"], in: directory)
        #expect(again.status == 1 && again.stderr.contains("is not running"))
    }

    /// A task's first attempt has no record for its first second; an ablate killed within it
    /// leaves a task that only its running marker names, and cancel finds it there.
    @Test func cancelWithoutAnAblateKillsAFirstAttemptThatHasNoRecordYet() async throws {
        let layout = try await cancelAfterKillingAblate("unrecorded", recorded: false)
        // Its server records the end, which a resume takes as the attempt's.
        let resume = try await CLIRunner.run(["resume", "unrecorded", "--runs-dir", directory + "/Runs"], in: directory)
        let record = try #require(try layout.readTaskRecord("long"))
        #expect(record.attempts.first?.signal == SIGKILL, "\(record.attempts) \(resume.stderr)")
    }
}
