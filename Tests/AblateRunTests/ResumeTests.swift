import AblateCore
import AblateRun
import AblateStore
import Foundation
import Testing

/// Resuming runs: exactly what failed, changed or never ran runs again, and the index can
/// always be rebuilt from the files.
@Suite struct ResumeTests {
    static let pipeline = """
        ablate: 1
        name: pipeline
        stages:
          sft: {kind: command, run: "echo sft >> $DIR/scratch/ran; echo model > ${outputs.output}/weights"}
          reward: {kind: command, run: "echo reward >> $DIR/scratch/ran; echo rm > ${outputs.output}/weights"}
          dpo:
            kind: command
            run: "echo dpo >> $DIR/scratch/ran; test ! -e $DIR/scratch/break-dpo && cat ${stages.sft.output}/weights > ${outputs.output}/weights"
          eval:
            kind: command
            run: "echo eval >> $DIR/scratch/ran; cat ${stages.dpo.output}/weights; echo '{\\"acc\\": 0.5}' > ${outputs.output}/metrics.json"
        """

    @Test func run1FailsAtDPOAndTheResumeRunsExactlyDPOAndEval() async throws {
        let harness = try Harness(Self.pipeline)
        #expect(FileManager.default.createFile(atPath: harness.scratch + "/break-dpo", contents: nil))

        // Run 1: dpo fails, so eval never runs.
        let (first, firstState) = try await harness.run()
        #expect(firstState == .failed)
        #expect(first.state("dpo") == .failed)
        #expect(first.state("eval") == .skipped)
        #expect(Set(harness.lines(of: "ran")) == ["sft", "reward", "dpo"])

        // The user fixes the cause; resume says what it will do and why.
        try FileManager.default.removeItem(atPath: harness.scratch + "/break-dpo")
        let decisions = try RunSession.explain(ResumeTarget(runDirectory: first.layout.runDirectory, specOverride: nil, cacheDirectory: nil))
        #expect(decisions.filter { $0.action == .run }.map(\.task) == ["dpo", "eval"])
        #expect(decisions.first { $0.task == "dpo" }?.reason == "failed: exited with code 1")
        #expect(decisions.first { $0.task == "sft" }?.reason == "completed, unchanged")

        // Run 2 executes exactly dpo and eval.
        try FileManager.default.removeItem(atPath: harness.scratch + "/ran")
        let (second, secondState) = try await harness.resume(first.layout.runDirectory)
        #expect(secondState == .completed)
        #expect(harness.lines(of: "ran") == ["dpo", "eval"])
        #expect(second.record(of: "dpo")?.attempts.map(\.number) == [1, 2])
        let index = try RunIndex(path: second.layout.index)
        #expect(try index.run()?.state == .completed)
        #expect(try index.metrics().map(\.value) == [0.5])
    }

    @Test func anEditedSpecRerunsTheChangedStageAndItsDependantsOnly() async throws {
        let harness = try Harness(Self.pipeline)
        let (first, _) = try await harness.run()
        try FileManager.default.removeItem(atPath: harness.scratch + "/ran")
        let edited = harness.directory + "/edited.yaml"
        try String(contentsOfFile: harness.specPath, encoding: .utf8)
            .replacingOccurrences(of: "echo dpo >>", with: "echo dpo-v2 >>")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        let decisions = try RunSession.explain(ResumeTarget(runDirectory: first.layout.runDirectory, specOverride: edited, cacheDirectory: nil))
        #expect(decisions.first { $0.task == "dpo" }?.reason.hasPrefix("changed: command") == true)
        #expect(decisions.first { $0.task == "eval" }?.reason == "it reads dpo, which runs again")
        let session = try await RunSession.resume(
            ResumeTarget(runDirectory: first.layout.runDirectory, specOverride: edited, cacheDirectory: nil), options: harness.options(), observer: nil)
        #expect(try await session.execute() == .completed)
        #expect(harness.lines(of: "ran") == ["dpo-v2", "eval"])
    }

    @Test func theRebuiltIndexEqualsTheLiveOne() async throws {
        let harness = try Harness(Self.pipeline)
        #expect(FileManager.default.createFile(atPath: harness.scratch + "/break-dpo", contents: nil))
        let (first, _) = try await harness.run()
        try FileManager.default.removeItem(atPath: harness.scratch + "/break-dpo")
        let (session, _) = try await harness.resume(first.layout.runDirectory)
        let live = try RunIndex(path: session.layout.index).dump()
        #expect(live.contains("task "))
        #expect(try Reindexer.reindex(runDirectory: session.layout.runDirectory) == 4)
        let rebuilt = try RunIndex(path: session.layout.index).dump()
        #expect(live == rebuilt)
    }

    @Test func aSecondSessionOnALockedRunIsRefusedWithThePID() async throws {
        let harness = try Harness(Self.pipeline)
        let (first, _) = try await harness.run()
        let lock = try RunLock(path: first.layout.lockFile)
        do {
            _ = try await RunSession.resume(
                ResumeTarget(runDirectory: first.layout.runDirectory, specOverride: nil, cacheDirectory: nil), options: harness.options(), observer: nil)
            Issue.record("the resume should have been refused")
        } catch RunLockError.held(let pid) {
            #expect(pid == getpid())
        }
        lock.release()
        #expect(try await harness.resume(first.layout.runDirectory).1 == .completed)
    }

    @Test func specValuesReachProgramsAsLiteralText() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: injection
            sweep:
              grid:
                value: ["$(touch $DIR/scratch/pwned)", "a; touch $DIR/scratch/pwned2", "it's \\"quoted\\" `touch $DIR/scratch/pwned3`"]
            stages:
              shell: {kind: command, run: "printf '%s\\\\n' ${sweep.value} >> $DIR/scratch/shell"}
              argv: {kind: command, command: [sh, -c, 'printf "%s\\\\n" "$0" >> "$1"', "${sweep.value}", "$DIR/scratch/argv"]}
            """)
        let (_, state) = try await harness.run()
        #expect(state == .completed)
        let expected: Set<String> = [
            "$(touch \(harness.directory)/scratch/pwned)", "a; touch \(harness.directory)/scratch/pwned2",
            "it's \"quoted\" `touch \(harness.directory)/scratch/pwned3`",
        ]
        #expect(Set(harness.lines(of: "shell")) == expected)
        #expect(Set(harness.lines(of: "argv")) == expected)
        for name in ["pwned", "pwned2", "pwned3"] {
            #expect(!FileManager.default.fileExists(atPath: harness.scratch + "/" + name))
        }
    }

    @Test func aFinishedRunIsUpToDateUntilItsSpecOrCacheChanges() async throws {
        let harness = try Harness(Self.pipeline)
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        let directory = session.layout.runDirectory
        #expect(UpToDateCheck.tasks(try ResumeTarget(runDirectory: directory, specOverride: nil, cacheDirectory: nil)) == 4)

        let edited = harness.directory + "/edited.yaml"
        try String(contentsOfFile: harness.specPath, encoding: .utf8).replacingOccurrences(of: "echo eval >>", with: "echo eval2 >>")
            .write(toFile: edited, atomically: true, encoding: .utf8)
        #expect(UpToDateCheck.tasks(try ResumeTarget(runDirectory: directory, specOverride: edited, cacheDirectory: nil)) == nil)

        let evalTask = try #require(session.plan.task(id: "eval"))
        try FileManager.default.removeItem(atPath: TaskCache(directory: session.layout.cacheDirectory).outputs(evalTask.fingerprint))
        #expect(UpToDateCheck.tasks(try ResumeTarget(runDirectory: directory, specOverride: nil, cacheDirectory: nil)) == nil)
        let decisions = try RunSession.explain(ResumeTarget(runDirectory: directory, specOverride: nil, cacheDirectory: nil))
        #expect(decisions.filter { $0.action == .run }.map(\.task) == ["eval"])
        #expect(decisions.first { $0.task == "eval" }?.reason == "its outputs are missing from the cache")
    }

    @Test func aTaskCachedWithoutMetricsLeavesNoMetricsFileOfAnEarlierVersion() async throws {
        let withoutMetrics = """
            ablate: 1
            name: flip
            stages:
              score: {kind: command, run: "true"}
            """
        let harness = try Harness(withoutMetrics)
        let (first, _) = try await harness.run()
        let layout = first.layout
        #expect(!FileManager.default.fileExists(atPath: layout.metrics("score")))
        let withMetrics = harness.directory + "/with-metrics.yaml"
        try withoutMetrics.replacingOccurrences(of: #"run: "true""#, with: #"run: "echo '{\"acc\": 1}' > ${outputs.output}/metrics.json""#)
            .write(toFile: withMetrics, atomically: true, encoding: .utf8)
        let second = try await RunSession.resume(
            ResumeTarget(runDirectory: layout.runDirectory, specOverride: withMetrics, cacheDirectory: nil), options: harness.options(), observer: nil)
        #expect(try await second.execute() == .completed)
        #expect(FileManager.default.fileExists(atPath: layout.metrics("score")))

        // Back to the first version: its outputs, without metrics, come from the cache.
        let third = try await RunSession.resume(
            ResumeTarget(runDirectory: layout.runDirectory, specOverride: harness.specPath, cacheDirectory: nil), options: harness.options(),
            observer: nil)
        #expect(third.decisions.map(\.action) == [.cached])
        #expect(try await third.execute() == .completed)
        #expect(!FileManager.default.fileExists(atPath: layout.metrics("score")), "the metrics of the version with metrics went")
        let live = try RunIndex(path: layout.index).dump()
        #expect(try RunIndex(path: layout.index).metrics().isEmpty)
        #expect(try Reindexer.reindex(runDirectory: layout.runDirectory) == 1)
        #expect(try live == RunIndex(path: layout.index).dump())
    }
}
