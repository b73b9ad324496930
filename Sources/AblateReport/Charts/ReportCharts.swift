import AblateStore

/// The charts of a report, chosen and coloured from the table and the runs behind it: a
/// training curve per stage and metric with every row's task overlaid, a bar chart per column,
/// and the scatter the report asks for. Each row has one colour and one number in every chart
/// and in the one key; a task that several rows share is drawn dashed in grey.
public struct ReportCharts: Sendable {
    /// A chart of the page.
    public struct Chart: Sendable, Hashable {
        /// The kinds of chart.
        public enum Kind: String, Sendable {
            case curve, bars, scatter
        }

        public var kind: Kind
        public var title: String
        /// Shown at once; the others are behind the page's "more charts".
        public var isFeatured: Bool
        /// The chart for the page, whose key is the page's.
        public var svg: String
        /// The chart with its own key, for a file of its own.
        public var figure: String
        /// A file name for the figure: letters, digits, `-`, `_` and `.` only.
        public var fileName: String
    }

    public var charts: [Chart]
    /// The key: each row's colour and number, and the grey of shared tasks when a chart has them.
    public var key: [(color: String, text: String, isShared: Bool)]

    static let sharedColor = "#777777"
    /// Tableau's ten colours, then ten darker ones: distinct on white, and where more rows than
    /// colours repeat them, their numbers still tell them apart.
    static let palette = [
        "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
        "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d", "#31a354", "#756bb1", "#636363",
    ]

    public init(table: ResultsTable, runs: [RunResults], scatter: ScatterAxes?) {
        let rowKeys = table.rows.enumerated().map { index, row in
            ChartLegendEntry(color: Self.palette[index % Self.palette.count], text: "\(index + 1)  \(row.label)")
        }
        var charts: [Chart] = []
        var fileNames: Set<String> = []
        func add(_ kind: Chart.Kind, _ title: String, _ name: String, featured: Bool, _ canvas: ChartCanvas, key: [ChartLegendEntry]) {
            var figure = canvas
            ChartAxes.appendLegend(key, to: &figure)
            var fileName = "\(kind.rawValue)-" + Self.fileSafe(name)
            while fileNames.contains(fileName) { fileName += "_" }
            fileNames.insert(fileName)
            charts.append(
                Chart(
                    kind: kind, title: title, isFeatured: featured, svg: canvas.svg(title: title, className: "chart \(kind.rawValue)"),
                    figure: figure.svg(title: title, className: "chart"),
                    fileName: fileName + ".svg"))
        }
        let curves = Self.curves(table: table, runs: runs, rowKeys: rowKeys)
        var usesShared = false
        for curve in curves {
            usesShared = usesShared || curve.lines.contains(where: \.isShared)
            let key = Self.key(for: curve.lines.map { ($0.color, $0.isShared) }, rowKeys: rowKeys)
            add(.curve, curve.key, curve.key, featured: curve.featured, LineChart.draw(title: curve.key, lines: curve.lines), key: key)
        }
        let manyColumns = table.columns.count > 12
        for (index, column) in table.columns.enumerated() {
            let bars = table.rows.enumerated().map { number, row -> BarChart.Bar in
                let cell = row.cells[index]
                let low = cell.intervalLow ?? cell.value.flatMap { value in cell.stderr.map { value - $0 } }
                let high = cell.intervalHigh ?? cell.value.flatMap { value in cell.stderr.map { value + $0 } }
                return BarChart.Bar(
                    number: number + 1, label: row.label, color: rowKeys[number].color, value: cell.value, low: cell.value == nil ? nil : low,
                    high: cell.value == nil ? nil : high)
            }
            let featured = !manyColumns || MetricImportance.rank(column.key).map { $0 < MetricImportance.other } == true
            add(.bars, column.label, column.key, featured: featured, BarChart.draw(title: column.label, bars: bars), key: rowKeys)
        }
        if let scatter, let x = table.columns.firstIndex(where: { $0.key == scatter.x }), let y = table.columns.firstIndex(where: { $0.key == scatter.y }) {
            let points = table.rows.enumerated().compactMap { number, row -> ScatterChart.Point? in
                guard let xValue = row.cells[x].value, let yValue = row.cells[y].value else { return nil }
                return ScatterChart.Point(number: number + 1, label: row.label, color: rowKeys[number].color, x: xValue, y: yValue)
            }
            let title = "\(table.columns[y].label) vs \(table.columns[x].label)"
            add(
                .scatter, title, "\(scatter.y)-vs-\(scatter.x)", featured: true,
                ScatterChart.draw(title: title, xTitle: table.columns[x].label, points: points), key: rowKeys)
        }
        self.charts = charts
        key = rowKeys.map { ($0.color, $0.text, false) } + (usesShared ? [(Self.sharedColor, Self.sharedText, true)] : [])
    }

    static let sharedText = "a task several rows share (dashed; its hover names the task)"

    /// The key of a curve chart: the rows its lines belong to, and the shared grey if it has one.
    private static func key(for lines: [(color: String, isShared: Bool)], rowKeys: [ChartLegendEntry]) -> [ChartLegendEntry] {
        let colors = Set(lines.filter { !$0.isShared }.map(\.color))
        var key = rowKeys.filter { colors.contains($0.color) }
        if lines.contains(where: \.isShared) { key.append(ChartLegendEntry(color: sharedColor, text: sharedText, isShared: true)) }
        return key
    }

    /// A curve chart per stage and metric, important metrics first; series no reader needs (the
    /// epoch, run times, FLOPs) are left out.
    private static func curves(table: ResultsTable, runs: [RunResults], rowKeys: [ChartLegendEntry]) -> [(key: String, featured: Bool, lines: [LineChart.Line])]
    {
        // Which rows read each task of each run.
        var rowsOfTask: [String: [Int]] = [:]
        for (index, row) in table.rows.enumerated() {
            guard let results = runs.first(where: { $0.run.id == row.run }) else { continue }
            for variant in row.variants {
                for task in Set((results.stageTasks[variant] ?? [:]).values) where rowsOfTask[row.run + "\u{0}" + task]?.last != index {
                    rowsOfTask[row.run + "\u{0}" + task, default: []].append(index)
                }
            }
        }
        var groups: [String: [LineChart.Line]] = [:]
        for results in runs {
            for (task, metrics) in results.series.sorted(by: { $0.key < $1.key }) {
                let stage = results.tasks[task]?.stage ?? task
                let rows = rowsOfTask[results.run.id + "\u{0}" + task] ?? []
                let name = runs.count > 1 ? "\(results.run.id): \(task)" : task
                for (metric, points) in metrics.sorted(by: { $0.key < $1.key }) where !points.isEmpty && MetricImportance.rank(metric) != nil {
                    let line: LineChart.Line
                    if rows.count == 1, let row = rows.first {
                        line = LineChart.Line(
                            label: "\(row + 1)  \(table.rows[row].label) (\(name))", color: rowKeys[row].color, isShared: false, points: points)
                    } else {
                        let readers = rows.isEmpty ? "" : " — rows \(rows.map { String($0 + 1) }.joined(separator: ", "))"
                        line = LineChart.Line(label: name + readers, color: sharedColor, isShared: true, points: points)
                    }
                    groups["\(stage)/\(metric)", default: []].append(line)
                }
            }
        }
        return groups.keys.sorted { (MetricImportance.rank($0) ?? 99, $0) < (MetricImportance.rank($1) ?? 99, $1) }.map { key in
            (key, (MetricImportance.rank(key) ?? 99) < MetricImportance.other, groups[key] ?? [])
        }
    }

    /// A name with every character but letters, digits, `.`, `_` and `-` made `_`.
    static func fileSafe(_ name: String) -> String {
        String(
            name.unicodeScalars.map { scalar -> Character in
                let value = scalar.value
                let safe =
                    (value >= 48 && value <= 57) || (value >= 65 && value <= 90) || (value >= 97 && value <= 122) || value == 46 || value == 95 || value == 45
                return safe ? Character(scalar) : "_"
            })
    }
}

/// Which metrics a reader looks at first: losses, then rewards, KL, accuracies and win rates;
/// then the rest; and some not at all.
enum MetricImportance {
    /// The rank of metrics that are neither important nor left out.
    static let other = 5

    /// 0 (losses) to 4 (win rates), `other`, or nil for a series nobody reads as a curve.
    static func rank(_ key: String) -> Int? {
        let name = key.lowercased()
        let last = name.split(separator: "/").last.map(String.init) ?? name
        if ["epoch", "step", "total_flos", "train_runtime"].contains(last) || last.hasSuffix("_per_second") || last.hasSuffix("runtime") { return nil }
        if name.contains("loss") { return 0 }
        if name.contains("reward") || name.contains("score") { return 1 }
        if name.contains("kl") { return 2 }
        if name.contains("acc") { return 3 }
        if name.contains("win") { return 4 }
        return other
    }
}
