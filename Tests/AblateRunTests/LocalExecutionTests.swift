import AblateCore
import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import GRDB
import Testing

/// The local executor with real processes: success, retries, time limits, ordering, limits.
@Suite struct LocalExecutionTests {
    /// Four tasks: top, then left and right (right a little slower), then bottom, which reads
    /// both and writes a metric; each appends its name to scratch/order.
    static let diamond = """
        ablate: 1
        name: diamond
        stages:
          top: {kind: command, run: "echo top >> $DIR/scratch/order; echo 1 > ${outputs.output}/value"}
          left: {kind: command, run: "echo left >> $DIR/scratch/order; cat ${stages.top.output}/value > ${outputs.output}/value"}
          right: {kind: command, run: "sleep 0.2; echo right >> $DIR/scratch/order; cat ${stages.top.output}/value > ${outputs.output}/value"}
          bottom:
            kind: command
            run: "echo bottom >> $DIR/scratch/order; cat ${stages.left.output}/value ${stages.right.output}/value; echo '{\\"sum\\": 2}' > ${outputs.output}/metrics.json"
        """

    @Test func aDiamondCompletesInDependencyOrderAndIsCachedTheSecondTime() async throws {
        let harness = try Harness(Self.diamond)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        let order = harness.lines(of: "order")
        #expect(order.first == "top" && order.last == "bottom" && Set(order) == ["top", "left", "right", "bottom"])
        let stdout = try String(contentsOfFile: session.layout.stdout("bottom"), encoding: .utf8)
        #expect(stdout == "1\n1\n")
        let index = try RunIndex(path: session.layout.index)
        let states = try await index.writer.read { try String.fetchAll($0, sql: "SELECT state FROM task") }
        #expect(states == Array(repeating: "completed", count: 4))
        #expect(try index.metrics().map(\.name) == ["sum"])
        // Only a task with metrics has a metrics file: no file means no metrics.
        #expect(FileManager.default.fileExists(atPath: session.layout.metrics("bottom")))
        #expect(!FileManager.default.fileExists(atPath: session.layout.metrics("top")))

        let (second, secondState) = try await harness.run()
        #expect(secondState == .completed)
        #expect(second.decisions.allSatisfy { $0.action == .cached })
        #expect(second.record(of: "bottom")?.cachedFrom?.run == session.layout.runID)
        #expect(harness.lines(of: "order").count == 4, "nothing ran the second time")
        let cachedOutput = try String(contentsOfFile: second.layout.outputs("left") + "/output/value", encoding: .utf8)
        #expect(cachedOutput == "1\n")
    }

    /// A first attempt's running record is written a second after it starts: a task that ends
    /// before has its end as its first record, one that runs on has its running record.
    @Test func aFirstAttemptIsRecordedAsRunningOnceItHasRunASecond() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: records
            stages:
              short:
                kind: command
                run: sleep 0.3; if test -e status.json; then echo recorded > $DIR/scratch/short; fi
              long:
                kind: command
                run: sleep 2.5; if grep -q '"state":"running"' status.json; then echo running > $DIR/scratch/long; fi
            """)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        #expect(harness.lines(of: "short").isEmpty, "no record was written while the short task ran")
        #expect(harness.lines(of: "long") == ["running"], "the long task's record said it was running")
        let long = try #require(try session.layout.readTaskRecord("long"))
        #expect(long.state == .completed && long.attempts.count == 1 && long.lastAttempt?.pid != nil)
    }

    @Test func aFailedTaskIsRetriedAndThenSucceeds() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: flaky
            stages:
              flaky:
                kind: command
                retries: 2
                run: "echo try >> $DIR/scratch/tries; test $(wc -l < $DIR/scratch/tries) -ge 2"
            """)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        let record = try #require(session.record(of: "flaky"))
        #expect(record.attempts.map(\.exitCode) == [1, 0])
        #expect(record.attempts.map(\.state) == [.failed, .completed])
        #expect(harness.lines(of: "tries").count == 2)
    }

    @Test func aFailureWithoutRetriesLeftFailsTheRunAndSkipsDependants() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: failing
            stages:
              broken: {kind: command, run: "echo boom >&2; exit 3"}
              after: {kind: command, run: "echo ${stages.broken.output}"}
            """)
        let (session, state) = try await harness.run()
        #expect(state == .failed)
        #expect(session.record(of: "broken")?.lastAttempt?.exitCode == 3)
        #expect(session.state("after") == .skipped)
        #expect(try String(contentsOfFile: session.layout.stderr("broken"), encoding: .utf8) == "boom\n")
        #expect(!FileManager.default.fileExists(atPath: session.layout.cacheDirectory + "/" + (session.plan.task(id: "broken")?.fingerprint.value ?? "")))
    }

    @Test func aTimeLimitStopsTheWholeProcessGroup() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: slow
            stages:
              slow:
                kind: command
                resources: {time: 1s}
                run: "sleep 120 & echo $! > $DIR/scratch/child; sleep 120"
            """)
        let (session, state) = try await harness.run(harness.options(killGrace: 0.5))
        #expect(state == .failed)
        let attempt = try #require(session.record(of: "slow")?.lastAttempt)
        #expect(attempt.timedOut)
        #expect(attempt.signal == SIGTERM)
        // Without the limit the task would have slept for two minutes.
        #expect((attempt.duration ?? 120) < 100)
        let child = try #require(Int32(harness.lines(of: "child").first ?? ""))
        #expect(!Processes.isAlive(child), "the task's background child was stopped too")
    }

    @Test func tasksFinishingOutOfOrderAreAllRecorded() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: order
            sweep:
              grid:
                delay: [0.6, 0.1, 0.3, 0]
            stages:
              nap: {kind: command, run: "sleep ${sweep.delay}; echo ${sweep.delay} >> $DIR/scratch/finished"}
            """)
        let (session, state) = try await harness.run(harness.options(jobs: 4, cpus: 4))
        #expect(state == .completed)
        #expect(harness.lines(of: "finished") == ["0", "0.1", "0.3", "0.6"])
        #expect(session.taskRecords.allSatisfy { $0.state == .completed })
    }

    @Test func resourceLimitsAreNeverExceeded() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: limits
            sweep:
              grid:
                i: [1, 2, 3, 4, 5, 6]
            stages:
              work:
                kind: command
                run: "s=$(date +%s%N); sleep 0.2; echo ${sweep.i} $s $(date +%s%N) >> $DIR/scratch/jobs"
              heavy:
                kind: command
                resources: {cpus: 2}
                run: "s=$(date +%s%N); sleep 0.2; echo heavy${sweep.i} $s $(date +%s%N) >> $DIR/scratch/heavy"
            """)
        let (_, state) = try await harness.run(harness.options(jobs: 2, cpus: 2))
        #expect(state == .completed)
        let all = Interval.parse(harness.lines(of: "jobs") + harness.lines(of: "heavy"))
        #expect(all.count == 12)
        #expect(Interval.maximumOverlap(all) <= 2)
        let heavy = Interval.parse(harness.lines(of: "heavy"))
        for task in heavy {
            #expect(all.filter { $0.name != task.name && $0.overlaps(task) }.isEmpty, "a 2-CPU task runs alone on 2 CPUs")
        }
    }

    @Test func gpusAreHandedOutWithoutSharing() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: gpus
            sweep:
              grid:
                i: [1, 2, 3, 4, 5]
            stages:
              train:
                kind: command
                resources: {gpus: 1}
                run: "s=$(date +%s%N); sleep 0.15; echo t${sweep.i} $s $(date +%s%N) gpu$CUDA_VISIBLE_DEVICES >> $DIR/scratch/gpus"
              cpu-only:
                kind: command
                run: "echo \\"[$CUDA_VISIBLE_DEVICES]\\" >> $DIR/scratch/cpu"
            """)
        let (_, state) = try await harness.run(harness.options(jobs: 4, cpus: 4, gpus: ["0", "1"]))
        #expect(state == .completed)
        let uses = Interval.parse(harness.lines(of: "gpus"))
        #expect(uses.count == 5)
        #expect(Set(uses.map(\.extra)).isSubset(of: ["gpu0", "gpu1"]))
        for (index, use) in uses.enumerated() {
            for other in uses[(index + 1)...] where other.extra == use.extra {
                #expect(!use.overlaps(other), "\(use.name) and \(other.name) shared \(use.extra)")
            }
        }
        #expect(Set(harness.lines(of: "cpu")) == ["[]"])
    }

    @Test func aTaskNeedingMoreGPUsThanExistIsRefusedUpFront() async throws {
        let harness = try Harness("ablate: 1\nname: big\nstages:\n  big: {kind: command, run: \"true\", resources: {gpus: 4}}\n")
        await #expect(throws: RunSessionError.self) { try await harness.run(harness.options(gpus: ["0"])) }
    }

    @Test func aStateThatCannotBeWrittenStopsTheRunWithItsCause() async throws {
        // The task puts a directory where its status.json goes, so that the write of its end fails;
        // it waits until its launch (its pid) is recorded, so that the next write is the end's.
        let harness = try Harness(
            """
            ablate: 1
            name: unwritable
            stages:
              broken:
                kind: command
                run: >-
                  until grep -q '"pid"' ${outputs.output}/../../status.json 2>/dev/null; do sleep 0.01; done;
                  rm -f ${outputs.output}/../../status.json; mkdir ${outputs.output}/../../status.json
              slow: {kind: command, run: "sleep 30"}
            """)
        let session = try await RunSession.start(specPath: harness.specPath, options: harness.options(), observer: nil)
        let started = Date()
        await #expect {
            _ = try await session.execute()
        } throws: { error in
            "\(error)".hasPrefix("the run stopped: the state of task broken could not be recorded (")
        }
        #expect(Date().timeIntervalSince(started) < 20, "the other task was stopped, not waited for")
        #expect(session.record(of: "slow")?.state == .interrupted)
        #expect(session.runRecord.state == .failed)
    }
}
