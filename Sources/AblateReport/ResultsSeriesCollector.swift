import AblateStore

/// Collects metric series (training losses per step) for the report's curves: one chart per
/// stage and metric, one line per task.
public enum ResultsSeriesCollector {
    public static func series(_ runs: [RunResults]) -> [ResultsSeries] {
        var result: [ResultsSeries] = []
        for results in runs {
            for (taskID, metrics) in results.series.sorted(by: { $0.key < $1.key }) {
                let stage = results.tasks[taskID]?.stage ?? taskID
                for (name, points) in metrics.sorted(by: { $0.key < $1.key }) where !points.isEmpty {
                    let label = runs.count > 1 ? "\(results.run.id): \(taskID)" : taskID
                    result.append(ResultsSeries(group: "\(stage)/\(name)", label: label, points: points))
                }
            }
        }
        return result
    }
}
