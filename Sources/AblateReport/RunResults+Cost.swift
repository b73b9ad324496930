import AblateStore

/// The compute a run's attempts took, as metrics of its variants and as one summary per run.
///
/// A variant's cost is that of every task it reads (a task shared by several variants counts in
/// each of them: each needs it), and a task's cost is that of its attempts in this run, failed
/// ones included; a task taken from the cache made no attempt here and costs nothing.
extension RunResults {
    /// The stage name under which the cost metrics appear (`cost/gpu_hours`, `cost/sft/gpu_hours`).
    public static let costStage = "cost"

    /// `cost/gpu_hours` and `cost/hours` (the variant's tasks together) and `cost/<stage>/gpu_hours`
    /// (its task of that stage) for every variant; with a price per GPU-hour also `cost/price`
    /// and `cost/<stage>/price`.
    func addingCostMetrics(gpuHourPrice: Double?) -> RunResults {
        var results = self
        var keyNumbers = Dictionary(keys.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
        func number(_ key: String) -> Int32 {
            if let known = keyNumbers[key] { return known }
            let new = Int32(results.keys.count)
            results.keys.append(key)
            keyNumbers[key] = new
            return new
        }
        func add(_ position: Int32, _ key: String, _ value: Double) {
            results.entries.append(Entry(position: position, key: number(Self.costStage + "/" + key), value: value, stderr: .nan))
        }
        for variant in variants {
            let position = Int32(truncatingIfNeeded: variant.position)
            var gpuHours = 0.0
            var hours = 0.0
            for (stage, task) in (stageTasks[variant.name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let cost = costs[task] ?? TaskCost(attempts: 0, unsuccessfulAttempts: 0, seconds: 0, gpuSeconds: 0)
                gpuHours += cost.gpuHours
                hours += cost.hours
                add(position, "\(stage)/gpu_hours", cost.gpuHours)
                if let gpuHourPrice { add(position, "\(stage)/price", cost.gpuHours * gpuHourPrice) }
            }
            add(position, "gpu_hours", gpuHours)
            add(position, "hours", hours)
            if let gpuHourPrice { add(position, "price", gpuHours * gpuHourPrice) }
        }
        return results
    }

    /// The run's compute: every task once, and by stage.
    func costSummary(gpuHourPrice: Double?) -> ResultsTable.RunCost {
        var summary = ResultsTable.RunCost(run: run.id, gpuHourPrice: gpuHourPrice)
        var stages: [String: ResultsTable.CostLine] = [:]
        for (task, cost) in costs.sorted(by: { $0.key < $1.key }) {
            let stage = tasks[task]?.stage ?? task
            let line = ResultsTable.CostLine(name: task, cost: cost)
            summary.tasks.append(line)
            summary.total.add(line)
            stages[stage, default: ResultsTable.CostLine(name: stage)].add(line)
        }
        summary.stages = stages.values.sorted { $0.name < $1.name }
        return summary
    }
}

extension RunResults.TaskCost {
    public var gpuHours: Double { gpuSeconds / 3600 }
    public var hours: Double { seconds / 3600 }
}

extension ResultsTable {
    /// One run's compute: in total, by stage and by task.
    public struct RunCost: Sendable, Hashable {
        public var run: String
        /// What a GPU-hour costs, when the report was asked to price them.
        public var gpuHourPrice: Double?
        public var total = CostLine(name: "total")
        public var stages: [CostLine] = []
        public var tasks: [CostLine] = []

        /// `12.5 GPU-hours (30.1 task-hours, 40 attempts, 2 unsuccessful)` and, with a price, `; 31.25 at 2.5 per GPU-hour`.
        public var sentence: String {
            var text = "run \(run): " + total.sentence
            if let gpuHourPrice, let price = total.price(gpuHourPrice) {
                text += "; \(CellFormat.number(price, scaled: true)) at \(CellFormat.number(gpuHourPrice, scaled: false)) per GPU-hour"
            }
            return text
        }
    }

    /// The compute of a task, or of several added up.
    public struct CostLine: Sendable, Hashable {
        public var name: String
        public var attempts = 0
        public var unsuccessfulAttempts = 0
        public var hours = 0.0
        public var gpuHours = 0.0

        init(name: String) { self.name = name }

        init(name: String, cost: RunResults.TaskCost) {
            self.name = name
            attempts = cost.attempts
            unsuccessfulAttempts = cost.unsuccessfulAttempts
            hours = cost.hours
            gpuHours = cost.gpuHours
        }

        mutating func add(_ other: CostLine) {
            attempts += other.attempts
            unsuccessfulAttempts += other.unsuccessfulAttempts
            hours += other.hours
            gpuHours += other.gpuHours
        }

        public func price(_ gpuHourPrice: Double?) -> Double? { gpuHourPrice.map { $0 * gpuHours } }

        /// `12.5 GPU-hours (30.1 task-hours, 40 attempts, 2 unsuccessful)`.
        public var sentence: String {
            let unsuccessful = unsuccessfulAttempts > 0 ? ", \(unsuccessfulAttempts) unsuccessful" : ""
            return "\(CellFormat.number(gpuHours, scaled: false)) GPU-hours (\(CellFormat.number(hours, scaled: false)) task-hours, "
                + "\(attempts) attempt\(attempts == 1 ? "" : "s")\(unsuccessful))"
        }
    }
}
