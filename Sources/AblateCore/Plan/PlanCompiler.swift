/// Compiles a checked spec into a plan: expands the sweep, resolves every stage of every
/// variant into a task, and merges tasks with equal fingerprints.
///
/// A task is determined by the values of the axes its stage depends on (directly or through
/// the stages it reads), so each stage is resolved once per distinct combination of those
/// values, however many variants share it.
public struct PlanCompiler {
    let spec: Spec
    let files: any LocalFiles
    let hubCommits: HubCommits

    public init(spec: Spec, files: any LocalFiles = DiskFiles(), hubCommits: HubCommits = [:]) {
        self.spec = spec
        self.files = files
        self.hubCommits = hubCommits
    }

    /// The outcome of one stage in one variant.
    enum StageOutcome: Sendable {
        case task(Int)
        /// Left out by `when:` / `unless:`.
        case absent
        /// Could not be resolved; the problem was reported.
        case failed
    }

    /// Compiles a spec that `SpecValidator` found no error in (`StudyCompiler` checks it
    /// first). Returns nil when any error was found; every error is in `diagnostics`.
    public func compile(_ diagnostics: inout DiagnosticLog) -> Plan? {
        let variants = SweepExpander(sweep: spec.sweep).expand()
        guard !variants.isEmpty else {
            diagnostics.error(
                at: spec.sweep.location ?? .start(of: spec.file),
                "the sweep has no variants left after 'exclude:'; remove an exclusion or add an 'include:' entry")
            return nil
        }
        var state = CompilationState(spec: spec, files: files, hubCommits: hubCommits)
        state.digestLocalFiles(&diagnostics)
        let order = StageGraph(spec: spec).topologicalOrder().compactMap { spec.stage(named: $0) }
        let relevant = relevantAxes(order)
        let axisNames = spec.sweep.axisNames
        // Stage by stage, so that a gathering stage sees every variant of the stages it reads.
        var outcomes = [[StageOutcome]](repeating: [StageOutcome](repeating: .absent, count: order.count), count: variants.count)
        let stageIndex = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1.name, $0) })
        for (index, stage) in order.enumerated() {
            var groups: [[SettingValue]: [Int]] = [:]
            var groupOrder: [[SettingValue]] = []
            // Each distinct combination of the stage's axes is prepared once, for the first
            // variant that has it (see `CompilationState.prepare(_:each:…)`); their fingerprints
            // are computed on every core, then the tasks committed in order.
            var positions: [[SettingValue]: Int] = [:]
            var positionOfVariant = [Int](repeating: 0, count: variants.count)
            var firstVariants: [Int] = []
            for (variantIndex, variant) in variants.enumerated() {
                let key = relevant[index].map { variant.values[$0] }
                if !stage.gather.isEmpty {
                    if groups[key] == nil { groupOrder.append(key) }
                    groups[key, default: []].append(variantIndex)
                    continue
                }
                if let known = positions[key] {
                    positionOfVariant[variantIndex] = known
                    continue
                }
                positions[key] = firstVariants.count
                positionOfVariant[variantIndex] = firstVariants.count
                firstVariants.append(variantIndex)
            }
            if stage.gather.isEmpty {
                let known = outcomes
                let prepared = state.prepare(
                    stage, each: firstVariants,
                    members: { variantIndex in
                        [ReferenceResolver.Member(variant: variants[variantIndex], outcome: { name in stageIndex[name].map { known[variantIndex][$0] } })]
                    }, relevantAxes: relevant[index], &diagnostics)
                let committed = state.commit(prepared)
                for variantIndex in variants.indices { outcomes[variantIndex][index] = committed[positionOfVariant[variantIndex]] }
            }
            for key in groupOrder {
                let indices = groups[key] ?? []
                let members = indices.map { variantIndex in
                    ReferenceResolver.Member(variant: variants[variantIndex], outcome: { name in stageIndex[name].map { outcomes[variantIndex][$0] } })
                }
                let outcome = state.resolve(stage, in: members, relevantAxes: relevant[index], &diagnostics)
                for variantIndex in indices { outcomes[variantIndex][index] = outcome }
            }
        }
        let plannedVariants = Self.plannedVariants(variants, axes: axisNames, stages: order, outcomes: outcomes, tasks: state.tasks)
        var variantsOfTask = [[Int]](repeating: [], count: state.tasks.count)
        for (variantIndex, variant) in plannedVariants.enumerated() {
            for outcome in outcomes[variantIndex] {
                guard case .task(let taskIndex) = outcome else { continue }
                state.tasks[taskIndex].variants.append(variant.name)
                variantsOfTask[taskIndex].append(variantIndex)
            }
        }
        state.shareSupportTasks(variantNames: plannedVariants.map(\.name), variantsOfTask: variantsOfTask)
        guard !diagnostics.hasErrors else { return nil }
        return Plan(
            formatVersion: Plan.formatVersion, study: spec.name, specFile: spec.file, axes: axisNames,
            variants: plannedVariants, tasks: state.tasks)
    }

    /// The variants with their axis values and the task of each stage, named on every core.
    private static func plannedVariants(
        _ variants: [Variant], axes: [String], stages: [StageSpec], outcomes: [[StageOutcome]], tasks: [PlannedTask]
    ) -> [PlannedVariant] {
        Array(variants.indices).parallelMap(chunkSize: 1024) { variantIndex in
            let variant = variants[variantIndex]
            var stageTasks: [PlannedVariant.StageTask] = []
            for (index, stage) in stages.enumerated() {
                guard case .task(let taskIndex) = outcomes[variantIndex][index] else { continue }
                stageTasks.append(PlannedVariant.StageTask(stage: stage.name, task: tasks[taskIndex].id))
            }
            return PlannedVariant(
                name: variant.name(axes: axes), values: zip(axes, variant.values).map { AxisValue(axis: $0, value: $1) }, tasks: stageTasks)
        }
    }

    /// For each stage (in `order`), the indices of the axes that can change its task: those it
    /// references or tests, and those of every stage it reads.
    private func relevantAxes(_ order: [StageSpec]) -> [[Int]] {
        let axisIndex = Dictionary(uniqueKeysWithValues: spec.sweep.axisNames.enumerated().map { ($1, $0) })
        var byStage: [String: Set<Int>] = [:]
        var result: [[Int]] = []
        for stage in order {
            var axes: Set<Int> = []
            for template in stage.allTemplates {
                for expression in template.references {
                    for reference in expression.alternatives {
                        switch reference {
                        case .sweep(let axis): axisIndex[axis].map { _ = axes.insert($0) }
                        case .stage(let name, _): axes.formUnion(byStage[name] ?? [])
                        default: break
                        }
                    }
                }
            }
            for condition in stage.when + stage.unless {
                axisIndex[condition.axis].map { _ = axes.insert($0) }
            }
            if stage.settings["seed"] == nil, let seedAxis = axisIndex[SweepSpec.seedAxis] {
                axes.insert(seedAxis)
            }
            // A gathering stage is one task across the axes it gathers.
            for axis in stage.gather { axisIndex[axis].map { _ = axes.remove($0) } }
            byStage[stage.name] = axes
            result.append(axes.sorted())
        }
        return result
    }
}
