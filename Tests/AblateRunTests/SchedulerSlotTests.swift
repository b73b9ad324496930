import AblateCore
import AblateStore
import Foundation
import Synchronization
import Testing

@testable import AblateRun

/// A job slot is free again as soon as an attempt's process ends: recording a successful
/// attempt (reading its metrics, caching its outputs) goes on beside the next attempt, and only
/// the tasks that need the recorded one wait for the record.
@Suite struct SchedulerSlotTests {
    let directory = NSTemporaryDirectory() + "ablate-scheduler-" + UUID().uuidString

    /// Records what the scheduler asks, and holds the record of `slow` until `awaited` was
    /// prepared (or 20 seconds passed).
    final class Recorder: SchedulerDelegate {
        let directory: String
        let slow: String
        let awaited: String
        let calls = Mutex<[String]>([])

        init(directory: String, slow: String, awaited: String) {
            self.directory = directory
            self.slow = slow
            self.awaited = awaited
        }

        func waitForRoom(task: String) async {}

        func prepare(task: String, attempt: Int, allocation: ResourcePool.Allocation) throws -> LaunchRequest {
            calls.withLock { $0.append("prepare \(task)") }
            let folder = directory + "/" + task
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return LaunchRequest(
                name: task, arguments: ["/bin/true"], environment: [:], workingDirectory: folder, standardOutput: folder + "/stdout.log",
                standardError: folder + "/stderr.log", exitRecord: folder + "/exit-\(attempt).json", batchScript: folder + "/job.sh",
                placement: nil, resources: TaskResources())
        }

        func started(task: String, attempt: Int, handle: LaunchHandle) {}
        func following(task: String, handle: LaunchHandle) {}

        func finished(task: String, attempt: Int, result: AttemptResult, willRetry: Bool) -> String? {
            if task == slow {
                let deadline = Date().addingTimeInterval(20)
                while !calls.withLock({ $0.contains("prepare \(awaited)") }) && Date() < deadline { usleep(2000) }
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
        let secondStarts = try #require(calls.firstIndex(of: "prepare second"))
        let firstRecorded = try #require(calls.firstIndex(of: "finished first"))
        let afterStarts = try #require(calls.firstIndex(of: "prepare after"))
        #expect(secondStarts < firstRecorded)
        #expect(firstRecorded < afterStarts)
    }
}
