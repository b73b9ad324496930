/// Reads `sweep:`: `grid:` axes, `zip:` groups, `seeds:`, `include:` and `exclude:`.
struct SweepParser {
    static let keys = ["grid", "zip", "seeds", "include", "exclude"]

    func parse(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> SweepSpec {
        var sweep = SweepSpec()
        guard let node, node.mappingEntries("'sweep'", &diagnostics) != nil else { return sweep }
        sweep.location = node.location
        node.reportUnknownKeys(allowed: Self.keys, in: "'sweep'", &diagnostics)
        // Axes are declared in the order written, which is the order of variant names.
        for entry in node.entries ?? [] {
            switch entry.key {
            case "grid":
                for axis in entry.value.mappingEntries("'sweep.grid'", &diagnostics) ?? [] {
                    addAxis(axis, zipGroup: nil, to: &sweep, &diagnostics)
                }
            case "zip":
                parseZip(entry.value, into: &sweep, &diagnostics)
            case "seeds":
                parseSeeds(entry.value, into: &sweep, &diagnostics)
            default:
                break
            }
        }
        if let include = node["include"] {
            sweep.include = parseAssignments(include, key: "include", axes: sweep, &diagnostics)
            checkIncludesAreComplete(sweep, &diagnostics)
        }
        if let exclude = node["exclude"] {
            sweep.exclude = parseAssignments(exclude, key: "exclude", axes: sweep, &diagnostics)
            checkExcludedValuesOccur(sweep, &diagnostics)
        }
        return sweep
    }

    private func parseSeeds(_ seeds: SpecNode, into sweep: inout SweepSpec, _ diagnostics: inout DiagnosticLog) {
        let entry = SpecNode.Entry(key: SweepSpec.seedAxis, keyLocation: seeds.location, value: seeds)
        guard addAxis(entry, zipGroup: nil, to: &sweep, &diagnostics), let axis = sweep.axes.last else { return }
        if axis.values.contains(where: { SettingType.nonNegativeInteger.check($0).isFailure }) {
            diagnostics.error(at: seeds.location, "'sweep.seeds' must be a list of integers of 0 or more, e.g. [1, 2, 3]")
        }
    }

    private func parseZip(_ zip: SpecNode, into sweep: inout SweepSpec, _ diagnostics: inout DiagnosticLog) {
        // One group may be written as a mapping; several as a list of mappings.
        let groups = zip.sequence ?? [zip]
        for (groupIndex, group) in groups.enumerated() {
            guard let entries = group.mappingEntries("each 'sweep.zip' group", &diagnostics) else { continue }
            var lengths: [(String, Int, SourceLocation)] = []
            for entry in entries {
                if addAxis(entry, zipGroup: groupIndex, to: &sweep, &diagnostics), let axis = sweep.axes.last {
                    lengths.append((axis.name, axis.values.count, entry.keyLocation))
                }
            }
            if let first = lengths.first, let odd = lengths.first(where: { $0.1 != first.1 }) {
                diagnostics.error(
                    at: odd.2,
                    "zipped axes vary together and need the same number of values: '\(first.0)' has \(first.1), '\(odd.0)' has \(odd.1); make them equal or move one to 'grid:'"
                )
            }
        }
    }

    @discardableResult
    private func addAxis(_ entry: SpecNode.Entry, zipGroup: Int?, to sweep: inout SweepSpec, _ diagnostics: inout DiagnosticLog) -> Bool {
        if let problem = Name.problem(with: entry.key) {
            diagnostics.error(at: entry.keyLocation, "the axis name '\(entry.key.truncatedForMessage)' \(problem); rename it")
            return false
        }
        if sweep.axis(named: entry.key) != nil {
            diagnostics.error(at: entry.keyLocation, "the axis '\(entry.key)' is declared twice in 'sweep'; keep one")
            return false
        }
        guard let values = entry.value.scalarValues("each value of axis '\(entry.key)'", &diagnostics) else { return false }
        guard !values.isEmpty, entry.value.sequence != nil || !entry.value.isNull else {
            diagnostics.error(at: entry.value.location, "the axis '\(entry.key)' has no values; list at least one, e.g. [a, b]")
            return false
        }
        var seen: Set<SettingValue> = []
        for (value, item) in zip(values, entry.value.sequence ?? [entry.value]) {
            guard seen.insert(value).inserted else {
                diagnostics.error(at: item.location, "the value '\(value.text.truncatedForMessage)' appears twice on axis '\(entry.key)'; remove one")
                return false
            }
        }
        sweep.axes.append(SweepSpec.Axis(name: entry.key, values: values, location: entry.keyLocation, zipGroup: zipGroup))
        return true
    }

    private func parseAssignments(_ node: SpecNode, key: String, axes sweep: SweepSpec, _ diagnostics: inout DiagnosticLog) -> [SweepSpec.Assignment] {
        guard let items = node.sequence else {
            diagnostics.error(at: node.location, "'sweep.\(key)' must be a list of mappings from axis to value, e.g. [{sft_data: lima, dpo_data: none}]")
            return []
        }
        var assignments: [SweepSpec.Assignment] = []
        for item in items {
            guard let entries = item.mappingEntries("each 'sweep.\(key)' entry", &diagnostics) else { continue }
            var assignment = SweepSpec.Assignment(values: [:], keyLocations: [:], location: item.location)
            for entry in entries {
                guard sweep.axis(named: entry.key) != nil else {
                    diagnostics.error(
                        at: entry.keyLocation,
                        "'sweep.\(key)' names the axis '\(entry.key)', which the sweep does not declare\(Suggestion.hint(for: entry.key, in: sweep.axisNames))")
                    continue
                }
                guard let values = entry.value.scalarValues("the value of '\(entry.key)' in 'sweep.\(key)'", &diagnostics) else { continue }
                if key == "include", values.count != 1 {
                    diagnostics.error(at: entry.value.location, "an 'include' entry adds one variant, so '\(entry.key)' takes one value, not a list")
                    continue
                }
                assignment.values[entry.key] = values
                assignment.keyLocations[entry.key] = entry.keyLocation
            }
            assignments.append(assignment)
        }
        return assignments
    }

    private func checkIncludesAreComplete(_ sweep: SweepSpec, _ diagnostics: inout DiagnosticLog) {
        for entry in sweep.include {
            let missing = sweep.axisNames.filter { entry.values[$0] == nil }
            if !missing.isEmpty, entry.values.count == entry.keyLocations.count {
                diagnostics.error(
                    at: entry.location, "this 'include' entry gives no value for \(missing.quotedList); an included variant needs a value on every axis")
            }
        }
    }

    private func checkExcludedValuesOccur(_ sweep: SweepSpec, _ diagnostics: inout DiagnosticLog) {
        for entry in sweep.exclude {
            for (axis, values) in entry.values {
                let possible = sweep.possibleValues(of: axis)
                for value in values where !possible.contains(value) {
                    diagnostics.error(
                        at: entry.keyLocations[axis] ?? entry.location,
                        "'sweep.exclude' matches '\(axis)' = '\(value.text.truncatedForMessage)', which the axis never takes\(Suggestion.hint(for: value.text, in: possible.map(\.text)))"
                    )
                }
            }
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
