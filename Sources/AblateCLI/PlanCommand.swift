import AblateCore
import ArgumentParser
import Foundation

/// `ablate plan SPEC`: the DAG of tasks a study compiles to, with their commands.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the DAG a study compiles to: every task, its dependencies, resources and command.",
        discussion: "Paths are symbolic: {out} is the task's output directory and {TASK/OUTPUT} another task's output."
    )

    /// The formats `plan` can print.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, json, dot, mermaid
    }

    @OptionGroup var options: SpecOptions

    @Option(name: .shortAndLong, help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .tree

    func run() throws {
        let plan = try options.compile()
        switch format {
        case .tree: print(PlanTreeRenderer().render(plan), terminator: "")
        case .json:
            FileHandle.standardOutput.write(try PlanJSON.encode(plan))
            print()
        case .dot: print(PlanGraphRenderer(.dot).render(plan), terminator: "")
        case .mermaid: print(PlanGraphRenderer(.mermaid).render(plan), terminator: "")
        }
    }
}
