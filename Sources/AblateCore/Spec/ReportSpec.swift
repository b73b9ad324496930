/// The spec's `report:` section: which metrics the results table shows, how its rows and
/// columns are named, and which row the others are compared with.
public struct ReportSpec: Sendable {
    /// One column: a metric (`stage/metric`, `*` matches any text), its heading, a factor
    /// applied to its values (100 for percentages), and whether higher values are better.
    public struct Column: Sendable, Hashable {
        public var metric: String
        public var label: String?
        public var scale: Double
        public var higherIsBetter: Bool?

        public init(metric: String, label: String? = nil, scale: Double = 1, higherIsBetter: Bool? = nil) {
            self.metric = metric
            self.label = label
            self.scale = scale
            self.higherIsBetter = higherIsBetter
        }
    }

    public var columns: [Column] = []
    /// The variant the others are compared with: axis → value.
    public var reference: [String: String] = [:]
    /// How a variant's row is named: axis → value → text; the texts of a variant's values are
    /// joined with ", ", empty ones left out.
    public var rowLabels: [String: [String: String]] = [:]
    /// Axis order for row labels, as written.
    public var rowAxes: [String] = []
    /// The scatter of one metric against another (Kirk et al.'s generalisation vs diversity).
    public var scatter: (x: String, y: String)?
    /// Further tables of the same rows (`report --table NAME`), in the order written.
    public var tables: [Table] = []

    /// A further table: its own columns of the same rows, under a title.
    public struct Table: Sendable, Hashable {
        public var name: String
        public var title: String?
        public var columns: [Column]
    }

    public init() {}

    /// The spec with a named table's columns in place of the main table's; nil for an unknown name.
    public func selecting(table name: String) -> ReportSpec? {
        guard let table = tables.first(where: { $0.name == name }) else { return nil }
        var selected = self
        selected.columns = table.columns
        return selected
    }
}

/// Reads `report:`.
struct ReportParser {
    func parse(_ node: SpecNode?, sweep: SweepSpec, _ diagnostics: inout DiagnosticLog) -> ReportSpec {
        var report = ReportSpec()
        guard let node, node.mappingEntries("'report'", &diagnostics) != nil else { return report }
        node.reportUnknownKeys(allowed: ["columns", "reference", "rows", "scatter", "tables"], in: "'report'", &diagnostics)
        if let scatter = node["scatter"], scatter.mappingEntries("'report.scatter'", &diagnostics) != nil {
            scatter.reportUnknownKeys(allowed: ["x", "y"], in: "'report.scatter'", &diagnostics)
            if let x = scatter["x"]?.stringValue("'report.scatter.x'", &diagnostics), let y = scatter["y"]?.stringValue("'report.scatter.y'", &diagnostics) {
                report.scatter = (x, y)
            } else {
                diagnostics.error(at: scatter.location, "'report.scatter' needs 'x:' (a diversity metric) and 'y:' (a generalisation metric)")
            }
        }
        report.columns = columns(node["columns"], &diagnostics)
        for entry in node["tables"]?.mappingEntries("'report.tables'", &diagnostics) ?? [] {
            let context = "the table '\(entry.key.truncatedForMessage)' of 'report.tables'"
            guard entry.value.mappingEntries(context, &diagnostics) != nil else { continue }
            entry.value.reportUnknownKeys(allowed: ["title", "columns"], in: context, &diagnostics)
            guard let columnsNode = entry.value["columns"] else {
                diagnostics.error(at: entry.keyLocation, "\(context) needs 'columns:', the metrics it shows")
                continue
            }
            report.tables.append(
                ReportSpec.Table(
                    name: entry.key, title: entry.value["title"]?.stringValue("the title of \(context)", &diagnostics),
                    columns: columns(columnsNode, &diagnostics)))
        }
        if let reference = node["reference"], let entries = reference.mappingEntries("'report.reference'", &diagnostics) {
            for entry in entries {
                checkAxis(entry.key, at: entry.keyLocation, in: sweep, &diagnostics)
                if let value = entry.value.scalarValues("the value of '\(entry.key)' in 'report.reference'", &diagnostics)?.first {
                    report.reference[entry.key] = value.text
                }
            }
        }
        if let rows = node["rows"], let entries = rows.mappingEntries("'report.rows'", &diagnostics) {
            for entry in entries {
                checkAxis(entry.key, at: entry.keyLocation, in: sweep, &diagnostics)
                var labels: [String: String] = [:]
                for label in entry.value.mappingEntries("the labels of '\(entry.key)' in 'report.rows'", &diagnostics) ?? [] {
                    labels[label.key] = label.value.isNull ? "" : label.value.scalar?.text ?? ""
                }
                report.rowLabels[entry.key] = labels
                report.rowAxes.append(entry.key)
            }
        }
        return report
    }

    private func columns(_ node: SpecNode?, _ diagnostics: inout DiagnosticLog) -> [ReportSpec.Column] {
        (node.map { $0.sequence ?? [$0] } ?? []).compactMap { parseColumn($0, &diagnostics) }
    }

    private func parseColumn(_ item: SpecNode, _ diagnostics: inout DiagnosticLog) -> ReportSpec.Column? {
        if item.scalar != nil {
            return item.stringValue("a column of 'report.columns'", &diagnostics).map { ReportSpec.Column(metric: $0) }
        }
        guard item.mappingEntries("a column of 'report.columns'", &diagnostics) != nil else { return nil }
        item.reportUnknownKeys(allowed: ["metric", "label", "scale", "goal"], in: "a column of 'report.columns'", &diagnostics)
        guard let metric = item["metric"]?.stringValue("the metric of a report column", &diagnostics) else {
            diagnostics.error(at: item.location, "a report column needs 'metric:', e.g. 'eval/arc_challenge/acc_norm'")
            return nil
        }
        var column = ReportSpec.Column(metric: metric)
        column.label = item["label"]?.stringValue("the label of a report column", &diagnostics)
        if let scale = item["scale"] {
            if case .success(let value) = SettingValue(scalarNode: scale).map({ SettingType.positiveNumber.check($0) }), let number = value.number {
                column.scale = number
            } else {
                diagnostics.error(at: scale.location, "'scale' must be a positive number, not \(scale.shapeDescription)")
            }
        }
        if let goal = item["goal"] {
            switch goal.scalar?.text {
            case "max": column.higherIsBetter = true
            case "min": column.higherIsBetter = false
            default: diagnostics.error(at: goal.location, "'goal' must be 'max' or 'min', not \(goal.shapeDescription)")
            }
        }
        return column
    }

    private func checkAxis(_ axis: String, at location: SourceLocation, in sweep: SweepSpec, _ diagnostics: inout DiagnosticLog) {
        guard sweep.axis(named: axis) == nil else { return }
        diagnostics.error(at: location, "'report' names the axis '\(axis)', which the sweep does not declare\(Suggestion.hint(for: axis, in: sweep.axisNames))")
    }
}
