/// One combination of sweep values: a row of the study's results table.
public struct Variant: Hashable, Sendable {
    /// Values in the sweep's axis order.
    public var values: [SettingValue]

    /// `sft_data=lima,dpo_data=none`, or `default` for a spec without a sweep.
    public func name(axes: [String]) -> String {
        guard !axes.isEmpty else { return "default" }
        return zip(axes, values).map { "\($0)=\(Name.sanitized($1.text))" }.joined(separator: ",")
    }
}

/// Expands a sweep into its variants: the product of grid axes and zip groups, minus
/// `exclude:` matches, plus `include:` entries.
struct SweepExpander {
    let sweep: SweepSpec

    func expand() -> [Variant] {
        let axes = sweep.axes
        // Each unit is a grid axis or a zip group; a unit contributes one "row" of values.
        var units: [[Int]] = []
        var zipUnits: [Int: Int] = [:]
        for (index, axis) in axes.enumerated() {
            if let group = axis.zipGroup {
                if let unit = zipUnits[group] {
                    units[unit].append(index)
                } else {
                    zipUnits[group] = units.count
                    units.append([index])
                }
            } else {
                units.append([index])
            }
        }
        let counts = units.map { unit in unit.map { axes[$0].values.count }.min() ?? 0 }
        var variants: [Variant] = []
        var seen: Set<Variant> = []
        if !counts.contains(0) {
            var odometer = [Int](repeating: 0, count: units.count)
            var values = [SettingValue](repeating: .int(0), count: axes.count)
            repeat {
                for (unit, row) in zip(units, odometer) {
                    for axis in unit { values[axis] = axes[axis].values[row] }
                }
                let variant = Variant(values: values)
                if !isExcluded(variant), seen.insert(variant).inserted { variants.append(variant) }
            } while advance(&odometer, limits: counts)
        }
        for entry in sweep.include {
            let values = axes.map { entry.values[$0.name]?.first }
            guard !values.contains(nil) else { continue }
            let variant = Variant(values: values.compactMap { $0 })
            if seen.insert(variant).inserted { variants.append(variant) }
        }
        return variants
    }

    /// An exclude entry matches when every axis it names has one of its values.
    private func isExcluded(_ variant: Variant) -> Bool {
        sweep.exclude.contains { entry in
            !entry.values.isEmpty
                && entry.values.allSatisfy { axis, values in
                    guard let index = sweep.axes.firstIndex(where: { $0.name == axis }) else { return false }
                    return values.contains(variant.values[index])
                }
        }
    }

    /// Steps the rightmost position first, so the last axis varies fastest; false after the last.
    private func advance(_ odometer: inout [Int], limits: [Int]) -> Bool {
        var position = odometer.count - 1
        while position >= 0 {
            odometer[position] += 1
            if odometer[position] < limits[position] { return true }
            odometer[position] = 0
            position -= 1
        }
        return false
    }
}
