import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import Synchronization
import Testing

@testable import AblateRun

/// A job slot is free again as soon as an attempt's process ends: recording a successful
/// attempt (reading its metrics, caching its outputs) goes on beside the next attempt, and only
/// the tasks that need the recorded one wait for the record. While the slots are taken, the
/// tasks next in line are staged, so that a slot that frees has less to do.
@Suite struct SchedulerSlotTests {
    let directory = Scratch.path("scheduler")

    /// Records what the scheduler asks, and holds the record of `slow` until `awaited` was
    /// prepared (or 20 seconds passed). A task runs its entry in `commands`, or `/bin/true`;
    /// staging a task leaves a file named `staged-TASK` in the directory.
    final class Recorder: SchedulerDelegate {
        let directory: String
        let slow: String
        let awaited: String
        let commands: [String: [String]]
        let calls = Mutex<[String]>([])

        init(directory: String, slow: String = "", awaited: String = "", commands: [String: [String]] = [:]) {
            self.directory = directory
            self.slow = slow
            self.awaited = awaited
            self.commands = commands
        }

        func waitForRoom(task: String) async {}

        func stage(task: String) -> Bool {
            calls.withLock { $0.append("stage \(task)") }
            return FileManager.default.createFile(atPath: directory + "/staged-" + task, contents: nil)
        }

        func prepare(task: String, attempt: Int, allocation: ResourcePool.Allocation, staged: Bool) throws -> LaunchRequest {
            calls.withLock { $0.append("prepare \(task)\(staged ? " staged" : "")") }
            let folder = directory + "/" + task
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return LaunchRequest(
                name: task, arguments: commands[task] ?? ["/bin/true"], environment: [:], workingDirectory: folder, standardOutput: folder + "/stdout.log",
                standardError: folder + "/stderr.log", exitRecord: folder + "/exit-\(attempt).json", batchScript: folder + "/job.sh",
                placement: nil, resources: TaskResources())
        }

        func started(task: String, attempt: Int, handle: LaunchHandle) {}
        func following(task: String, handle: LaunchHandle) {}

        func finished(task: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String? {
            if task == slow {
                let deadline = Date().addingTimeInterval(20)
                while !calls.withLock({ $0.contains { $0.hasPrefix("prepare \(awaited)") } }) && Date() < deadline { usleep(2000) }
            }
            calls.withLock { $0.append("finished \(task)") }
            return nil
        }

        func skipped(task: String, because dependency: String) {}
    }

    @Test func theNextAttemptStartsWhileTheEndedOneIsRecordedAndItsDependantWaitsForTheRecord() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = SubprocessLauncher(killGrace: 1, supervisor: SupervisorProgram.beside(executable: CommandLine.arguments[0]))
        let recorder = Recorder(directory: directory, slow: "first", awaited: "second")
        // One slot; "second" comes after "first" in the order, and "after" needs "first".
        let tasks = [
            ScheduledTask(id: "first", dependencies: [], resources: TaskResources(), retries: 0),
            ScheduledTask(id: "after", dependencies: ["first"], resources: TaskResources(), retries: 0),
            ScheduledTask(id: "second", dependencies: [], resources: TaskResources(), retries: 0),
        ]
        let scheduler = Scheduler(
            tasks: tasks, limits: ResourcePool.Limits(jobs: 1, cpus: 1, memoryMB: 0, gpus: []), launcher: launcher,
            options: SchedulerOptions(), registry: ProcessRegistry(launcher: launcher), delegate: recorder)
        let outcomes = await scheduler.run()

        #expect(outcomes == ["first": .completed, "second": .completed, "after": .completed])
        let calls = recorder.calls.withLock { $0 }
        // "second" took the slot while "first" was still being recorded, and "after" started
        // only once the record was done.
        let secondStarts = try #require(calls.firstIndex { $0.hasPrefix("prepare second") })
        let firstRecorded = try #require(calls.firstIndex(of: "finished first"))
        let afterStarts = try #require(calls.firstIndex { $0.hasPrefix("prepare after") })
        #expect(secondStarts < firstRecorded)
        #expect(firstRecorded < afterStarts)
    }

    @Test func theTaskNextInLineIsStagedWhileTheOnlySlotIsTaken() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let launcher = SubprocessLauncher(killGrace: 1, supervisor: SupervisorProgram.beside(executable: CommandLine.arguments[0]))
        // "first" takes the one slot and ends well only once "second" was staged (it gives up
        // after 20 seconds).
        let waitForStaging = "for i in $(seq 2000); do [ -e \"$1\" ] && exit 0; sleep 0.01; done; exit 1"
        let recorder = Recorder(
            directory: directory, commands: ["first": ["/bin/sh", "-c", waitForStaging, "sh", directory + "/staged-second"]])
        let tasks = [
            ScheduledTask(id: "first", dependencies: [], resources: TaskResources(), retries: 0),
            ScheduledTask(id: "second", dependencies: [], resources: TaskResources(), retries: 0),
        ]
        let scheduler = Scheduler(
            tasks: tasks, limits: ResourcePool.Limits(jobs: 1, cpus: 1, memoryMB: 0, gpus: []), launcher: launcher,
            options: SchedulerOptions(), registry: ProcessRegistry(launcher: launcher), delegate: recorder)
        let outcomes = await scheduler.run()

        #expect(outcomes == ["first": .completed, "second": .completed])
        let calls = recorder.calls.withLock { $0 }
        // "first" started at once, unstaged; "second" was staged while it ran, and started staged.
        #expect(calls.first == "prepare first")
        let staged = try #require(calls.firstIndex(of: "stage second"))
        let secondStarts = try #require(calls.firstIndex(of: "prepare second staged"))
        let firstRecorded = try #require(calls.firstIndex(of: "finished first"))
        #expect(staged < firstRecorded)
        #expect(staged < secondStarts)
    }
}
