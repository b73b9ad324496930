import ArgumentParser

/// The `ablate` command: fine-tuning ablation studies run the way a build system runs a build.
public struct AblateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ablate",
        abstract: "Run fine-tuning ablation studies the way a build system runs a build.",
        discussion: """
            A study is one YAML spec: base models, datasets, default settings, sweep axes and \
            stages (sft, reward, dpo, ppo, bon, generate, lm-eval, diversity, judge, linguistic, \
            command). ablate checks it, compiles it into a DAG of tasks and shows what would run.
            """,
        version: "0.1.0",
        subcommands: [ValidateCommand.self, PlanCommand.self, SchemaCommand.self]
    )

    public init() {}
}
