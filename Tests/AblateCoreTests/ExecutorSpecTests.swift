import AblateCore
import Foundation
import Testing

/// The spec's `executor:` section: a name, or a mapping of Slurm options.
@Suite struct ExecutorSpecTests {
    private func executor(_ section: String) -> Executor? {
        let text = "ablate: 1\nname: s\n\(section)\nstages:\n  hello: {kind: command, run: \"echo hello\"}\n"
        let outcome = StudyCompiler().compile(text: text, file: "/tmp/study.yaml")
        #expect(!outcome.diagnostics.hasErrors, "\(outcome.diagnostics.sorted.map(\.description))")
        return outcome.spec?.executor
    }

    @Test func withoutASectionTasksRunHere() {
        #expect(executor("") == .local)
        #expect(executor("executor: local") == .local)
        #expect(SlurmOptions().pollInterval == SlurmOptions.defaultPollInterval)
    }

    @Test func aNameOrAMappingSelectsSlurmAndItsOptions() {
        #expect(executor("executor: slurm") == .slurm(SlurmOptions()))
        let full = executor(
            "executor: {type: slurm, partition: gpu, account: lab, qos: high, sbatch_flags: [--constraint=a100, --exclusive], poll_interval: 2.5}")
        #expect(
            full
                == .slurm(
                    SlurmOptions(partition: "gpu", account: "lab", qos: "high", sbatchFlags: ["--constraint=a100", "--exclusive"], pollInterval: 2.5)))
    }

    @Test func theExecutorStaysOutOfTaskFingerprints() throws {
        let base = "ablate: 1\nname: s\nstages:\n  hello: {kind: command, run: \"echo hello\"}\n"
        let local = try #require(StudyCompiler().compile(text: base, file: "/tmp/study.yaml").plan)
        let slurm = try #require(StudyCompiler().compile(text: base + "executor: {type: slurm, partition: gpu}\n", file: "/tmp/study.yaml").plan)
        #expect(local.tasks.map(\.fingerprint) == slurm.tasks.map(\.fingerprint))
    }

}
