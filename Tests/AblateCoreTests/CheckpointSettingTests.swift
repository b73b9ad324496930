import AblateCore
import Testing

/// The `checkpoint:` setting: steps or a duration, a default for the trainers that continue from
/// checkpoints, none for PPO, and no part of the fingerprint.
@Suite struct CheckpointSettingTests {
    private static func spec(_ checkpoint: String) -> String {
        """
        ablate: 1
        name: checkpoints
        models: {base: {path: model}}
        datasets: {pairs: {path: pairs.jsonl, format: preference}, prompts: {path: pairs.jsonl, format: prompt-completion}}
        stages:
          sft: {kind: sft, model: base, data: prompts\(checkpoint)}
          rm: {kind: reward, model: base, data: pairs}
          ppo: {kind: ppo, model: "${stages.sft.model}", reward_model: "${stages.rm.model}", prompts: prompts}

        """
    }

    static let files = ["model/config.json": "{}", "pairs.jsonl": "{\"prompt\": \"p\", \"chosen\": \"c\", \"rejected\": \"r\"}\n"]

    @Test(arguments: [
        ("", CheckpointPolicy.standard),
        (", checkpoint: {every: 100}", CheckpointPolicy(every: .steps(100), keep: 2)),
        (", checkpoint: {every: 250 steps, keep: 3}", CheckpointPolicy(every: .steps(250), keep: 3)),
        (", checkpoint: {every: 30m}", CheckpointPolicy(every: .seconds(1800), keep: 2)),
    ])
    func theIntervalIsStepsOrADuration(_ written: String, _ expected: CheckpointPolicy) throws {
        let plan = try Compile.plan(Self.spec(written), files: Self.files)
        #expect(plan.task(id: "sft")?.checkpoint == expected)
        #expect(plan.task(id: "rm")?.checkpoint == .standard)
        #expect(plan.task(id: "ppo")?.checkpoint == nil, "TRL 1.12's PPOTrainer cannot continue from a checkpoint")
    }

    @Test func changingTheCheckpointsChangesNoFingerprint() throws {
        let before = try Compile.plan(Self.spec(""), files: Self.files)
        let after = try Compile.plan(Self.spec(", checkpoint: {every: 10, keep: 5}"), files: Self.files)
        #expect(before.tasks.map(\.fingerprint) == after.tasks.map(\.fingerprint))
    }

    @Test func aBadIntervalIsLocatedAndSaysWhatFits() throws {
        let outcome = try Compile.text(Self.spec(", checkpoint: {every: often}"), files: Self.files)
        let messages = outcome.diagnostics.sorted.map(\.description)
        #expect(
            messages.contains {
                $0.contains("'checkpoint.every' must be a number of steps (500, or '500 steps') or a duration such as 30m, not the string 'often'")
            }, "\(messages)")
        #expect(messages.allSatisfy { $0.contains("spec.yaml:6:") }, "\(messages)")
    }
}
