import AblateCore
import AblateRun
import AblateStore
import ArgumentParser
import Foundation

/// `ablate plan SPEC`: the DAG of tasks a study compiles to, with their commands.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show the DAG a study compiles to: every task, its dependencies, resources and command.",
        discussion: "Paths are symbolic: {out} is the task's output directory and {TASK/OUTPUT} another task's output."
    )

    /// The formats `plan` can print.
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case tree, json, dot, mermaid
    }

    @Argument(help: "The study spec, e.g. Experiments/data-impact.yaml.", completion: .file(extensions: ["yaml", "yml"]))
    var spec: String?

    @Option(name: .shortAndLong, help: "Output format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .tree

    @Option(help: ArgumentHelp("Instead: say for each task of this run whether resuming it runs the task, and why.", valueName: "run"))
    var explain: String?

    @Option(
        help: ArgumentHelp("Memory of each GPU the tasks get (80G), to warn of tasks that will not fit (default: what nvidia-smi says).", valueName: "size"))
    var gpuMemory: String?

    @OptionGroup var location: RunsLocation

    @OptionGroup(title: "Hugging Face Hub") var hub: HubOptions

    func validate() throws {
        if spec == nil && explain == nil { throw ValidationError("give a spec to plan, or --explain RUN") }
        if let gpuMemory { _ = try LocalGPUs.memory(flag: gpuMemory) }
    }

    func run() async throws {
        if let explain {
            let directory = try RunLocator.find(explain, runsDirectory: location.runsDirectory)
            let target = try ResumeTarget(runDirectory: directory, specOverride: spec, cacheDirectory: location.cacheDirectory, hub: hub.settings)
            SpecOptions.warn(target.study.hubNotes)
            let decisions = try RunSession.explain(target)
            print(DecisionTable.render(decisions), terminator: "")
            return
        }
        // The DAG alone never asks the hub: revisions resolve to the commits the cache holds.
        let hubSettings = HubSettings.current(offline: true)
        let plan = try SpecOptions(spec: spec ?? "").compile(resolvingRevisionsWith: hubSettings)
        let memory = MemoryPlanner(
            plan: plan, cacheDirectory: RunLayout.cacheDirectory(runsDirectory: location.runsDirectory, override: location.cacheDirectory), hub: hubSettings)
        let perGPU = try gpuMemory.map(LocalGPUs.memory)
        if let perGPU = perGPU == nil ? await LocalGPUs.query().memory : perGPU {
            for warning in memory.warnings(gpuMemory: perGPU) { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        }
        switch format {
        case .tree: print(PlanTreeRenderer(memory: memory.estimates).render(plan), terminator: "")
        case .json:
            // Written as it is encoded: a large sweep's plan is never held whole.
            try PlanJSON.write(plan, memory: memory.estimates) { FileHandle.standardOutput.write($0) }
            print()
        case .dot: print(PlanGraphRenderer(.dot).render(plan), terminator: "")
        case .mermaid: print(PlanGraphRenderer(.mermaid).render(plan), terminator: "")
        }
        LeftToExit.keep(plan, memory)
    }
}
