/// The stages and the references between them, before the sweep multiplies them into tasks.
struct StageGraph {
    let stageNames: [String]
    /// For each stage, the stages it references, in spec order.
    let dependencies: [String: [String]]

    init(spec: Spec) {
        stageNames = spec.stages.map(\.name)
        let known = Set(stageNames)
        var dependencies: [String: [String]] = [:]
        for stage in spec.stages {
            var names: [String] = []
            // A stage naming itself is reported on its own, not as a cycle.
            for reference in stage.referencedStages where known.contains(reference) && reference != stage.name && !names.contains(reference) {
                names.append(reference)
            }
            dependencies[stage.name] = names
        }
        self.dependencies = dependencies
    }

    /// A cycle of stage names, first repeated at the end (`a -> b -> a`), if there is one.
    func cycle() -> [String]? {
        var state: [String: Bool] = [:]  // false: on the current path, true: finished
        var path: [String] = []
        func visit(_ name: String) -> [String]? {
            if let finished = state[name] {
                guard !finished, let start = path.firstIndex(of: name) else { return nil }
                return Array(path[start...]) + [name]
            }
            state[name] = false
            path.append(name)
            for dependency in dependencies[name] ?? [] {
                if let cycle = visit(dependency) { return cycle }
            }
            path.removeLast()
            state[name] = true
            return nil
        }
        for name in stageNames {
            if let cycle = visit(name) { return cycle }
        }
        return nil
    }

    /// Stages with every dependency before its dependants, otherwise in spec order.
    /// Only meaningful when `cycle()` is nil.
    func topologicalOrder() -> [String] {
        var order: [String] = []
        var done: Set<String> = []
        func visit(_ name: String, depth: Int) {
            guard !done.contains(name), depth <= stageNames.count else { return }
            for dependency in dependencies[name] ?? [] { visit(dependency, depth: depth + 1) }
            if done.insert(name).inserted { order.append(name) }
        }
        for name in stageNames { visit(name, depth: 0) }
        return order
    }
}

extension StageSpec {
    /// The stages this stage references anywhere: inputs, settings, arguments, environment.
    var referencedStages: [String] {
        var names: [String] = []
        for template in allTemplates {
            for expression in template.references {
                for case .stage(let name, _) in expression.alternatives { names.append(name) }
            }
        }
        return names
    }
}
