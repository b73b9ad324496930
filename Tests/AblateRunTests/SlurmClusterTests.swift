import AblateCore
import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// Without a cluster the tests below are skipped; CI sets ABLATE_SLURM_TESTS=required so
/// that a cluster that failed to start fails the build instead.
@Test func aSlurmClusterIsThereWhenTheSlurmTestsAreRequired() {
    #expect(LocalSlurm.isAvailable || !LocalSlurm.isRequired, "ABLATE_SLURM_TESTS=required, but no Slurm cluster answers at SLURM_CONF")
}

/// The Slurm executor against a real cluster (`Scripts/slurm-cluster.sh`: one node, two fake
/// GPUs): every task an sbatch job, followed through squeue.
@Suite(.serialized, .enabled(if: LocalSlurm.isAvailable)) struct SlurmClusterTests {
    let slurm = ExecutorOverrides(kind: .slurm, pollInterval: 0.3)

    @Test func aDiamondRunsAsJobsInDependencyOrder() async throws {
        let harness = try Harness(LocalExecutionTests.diamond)
        let (session, state) = try await harness.run(harness.options(executor: slurm))
        #expect(state == .completed)
        let order = harness.lines(of: "order")
        #expect(order.first == "top" && order.last == "bottom" && Set(order) == ["top", "left", "right", "bottom"])
        #expect(try String(contentsOfFile: session.layout.stdout("bottom"), encoding: .utf8) == "1\n1\n")
        let jobs = ["top", "left", "right", "bottom"].compactMap { session.record(of: $0)?.lastAttempt?.jobID }
        #expect(Set(jobs).count == 4, "each task was a job of its own")
        #expect(jobs.allSatisfy { LocalSlurm.state(ofJob: $0) == "COMPLETED" })
        let index = try RunIndex(path: session.layout.index)
        #expect(try index.metrics().map(\.name) == ["sum"])
        #expect(session.runRecord.executor.kind == .slurm)
    }

    @Test func aFailingJobIsRetriedAsANewJob() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: flaky
            stages:
              flaky: {kind: command, retries: 2, run: "echo try >> $DIR/scratch/tries; test $(wc -l < $DIR/scratch/tries) -ge 2"}
            """)
        let (session, state) = try await harness.run(harness.options(executor: slurm))
        #expect(state == .completed)
        let record = try #require(session.record(of: "flaky"))
        #expect(record.attempts.map(\.exitCode) == [1, 0])
        #expect(Set(record.attempts.compactMap(\.jobID)).count == 2)
        #expect(LocalSlurm.state(ofJob: record.attempts[0].jobID ?? "") == "FAILED")
    }

    @Test func aJobPastItsTimeLimitIsStoppedAndRecordedAsTimedOut() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: slow
            stages:
              slow: {kind: command, resources: {time: 2s}, run: "sleep 120"}
            """)
        let started = Date()
        let (session, state) = try await harness.run(harness.options(executor: slurm))
        #expect(state == .failed)
        let attempt = try #require(session.record(of: "slow")?.lastAttempt)
        #expect(attempt.timedOut && attempt.state == .failed)
        #expect(session.record(of: "slow")?.reason == "timed out")
        #expect(Date().timeIntervalSince(started) < 30, "stopped at its limit, not Slurm's minute")
    }

    @Test func twoConcurrentGPUJobsGetDifferentDevices() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: gpus
            sweep:
              grid:
                i: [1, 2]
            stages:
              train:
                kind: command
                resources: {gpus: 1}
                run: "s=$(date +%s%N); sleep 1.5; echo ${sweep.i} $s $(date +%s%N) $CUDA_VISIBLE_DEVICES >> $DIR/scratch/intervals"
            """)
        let state = try await LocalSlurm.withTheNode { try await harness.run(harness.options(executor: slurm)).1 }
        #expect(state == .completed)
        let intervals = Interval.parse(harness.lines(of: "intervals"))
        #expect(intervals.count == 2)
        #expect(Set(intervals.map(\.extra)) == ["0", "1"], "each job got a device of its own: \(intervals.map(\.extra))")
        #expect(intervals.count == 2 && intervals[0].overlaps(intervals[1]), "the two jobs ran at the same time")
    }

    @Test func interruptingTheRunCancelsItsJobs() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: cancelled
            stages:
              long: {kind: command, run: "echo started >> $DIR/scratch/started; sleep 120"}
            """)
        let session = try await RunSession.start(specPath: harness.specPath, options: harness.options(executor: slurm), observer: nil)
        let execution = Task { try await session.execute() }
        let deadline = Date().addingTimeInterval(30)
        while harness.lines(of: "started").isEmpty, Date() < deadline { try await Task.sleep(nanoseconds: 100_000_000) }
        let job = try #require(session.record(of: "long")?.lastAttempt?.jobID)
        session.registry.interrupt(grace: 5)
        #expect(try await execution.value == .interrupted)
        #expect(session.record(of: "long")?.state == .interrupted)
        #expect(LocalSlurm.state(ofJob: job) == "CANCELLED")
    }
}
