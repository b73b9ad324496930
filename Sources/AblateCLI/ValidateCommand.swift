import ArgumentParser

/// `ablate validate SPEC`: reports every problem in a spec at once; nothing runs.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a study spec and report every problem as file:line:column.",
        discussion: "Exits 0 when the spec is valid and 1 otherwise. Nothing runs."
    )

    @OptionGroup var options: SpecOptions

    func run() throws {
        let plan = try options.compile()
        let counts = plan.counts
        print("\(options.spec): valid: \(counts.variants) variant\(counts.variants == 1 ? "" : "s"), \(counts.tasks) task\(counts.tasks == 1 ? "" : "s")")
    }
}
