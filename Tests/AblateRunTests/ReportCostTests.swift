import AblateCore
import Foundation
import Testing

@testable import AblateReport
@testable import AblateStore

/// GPU-hours in the report: each attempt's duration × the GPUs it held, failed attempts
/// included, per task, per variant (every task it reads) and per run (every task once).
@Suite struct ReportCostTests {
    /// Two variants of a two-GPU training task whose first attempt fails, and a one-GPU
    /// evaluation each; a preparation on no GPU that both share.
    static let spec = """
        ablate: 1
        name: cost
        sweep:
          grid:
            size: [small, large]
        stages:
          prepare:
            kind: command
            run: "sleep 0.2"
          train:
            kind: command
            resources: {gpus: 2}
            retries: 1
            run: "sleep 0.3; : ${stages.prepare.output}; if [ ! -e $DIR/scratch/${sweep.size} ]; then touch $DIR/scratch/${sweep.size}; exit 3; fi"
          evaluate:
            kind: command
            resources: {gpus: 1}
            run: "sleep 0.1; : ${stages.train.output}"
        """

    @Test func gpuHoursAddUpEveryAttemptOfEveryTaskAVariantReads() async throws {
        let harness = try Harness(Self.spec)
        let (session, state) = try await harness.run(harness.options(jobs: 2, cpus: 2, gpus: ["0", "1", "2", "3"]))
        #expect(state == .completed)
        let layout = session.layout
        // What the records say, attempt by attempt.
        var gpuSeconds: [String: Double] = [:]
        var seconds: [String: Double] = [:]
        var attempts: [String: [AttemptRecord]] = [:]
        for task in session.plan.tasks {
            let record = try AtomicFile.readJSON(TaskRecord.self, from: layout.status(task.id))
            attempts[task.id] = record.attempts
            for attempt in record.attempts {
                let duration = try #require(attempt.duration)
                gpuSeconds[task.id, default: 0] += duration * Double(attempt.gpus ?? -1)
                seconds[task.id, default: 0] += duration
            }
        }
        let train = try #require(session.plan.tasks.first { $0.stage == "train" && $0.id.contains("small") })
        #expect(attempts[train.id]?.map(\.state) == [.failed, .completed])
        #expect(attempts[train.id]?.map(\.gpus) == [2, 2])

        let results = try RunResults.load(runDirectory: layout.runDirectory)
        let table = try ResultsTableBuilder(report: ReportSpec(), gpuHourPrice: 2.5).build([results])
        // Costs are no column unless asked for.
        #expect(!table.columns.contains { $0.key.hasPrefix("cost/") })
        var report = ReportSpec()
        report.columns = [ReportSpec.Column(metric: "cost/*")]
        let costs = try ResultsTableBuilder(report: report, gpuHourPrice: 2.5).build([results])
        #expect(
            costs.columns.map(\.key) == [
                "cost/evaluate/gpu_hours", "cost/evaluate/price", "cost/gpu_hours", "cost/hours", "cost/prepare/gpu_hours", "cost/prepare/price", "cost/price",
                "cost/train/gpu_hours", "cost/train/price",
            ])
        #expect(costs.columns.allSatisfy { !$0.higherIsBetter })
        func value(_ row: ResultsTable.Row, _ key: String) throws -> Double {
            let column = try #require(costs.columns.firstIndex { $0.key == key })
            return try #require(row.cells[column].value)
        }
        for row in costs.rows {
            let variant = try #require(row.variants.first)
            let tasks = session.plan.tasks.filter { $0.variants.contains(variant) }.map(\.id)
            let expectedGPUHours = tasks.reduce(0) { $0 + (gpuSeconds[$1] ?? 0) } / 3600
            #expect(abs(try value(row, "cost/gpu_hours") - expectedGPUHours) < 1e-6)
            #expect(abs(try value(row, "cost/hours") - tasks.reduce(0) { $0 + (seconds[$1] ?? 0) } / 3600) < 1e-6)
            #expect(abs(try value(row, "cost/price") - expectedGPUHours * 2.5) < 1e-6)
            #expect(try value(row, "cost/prepare/gpu_hours") == 0, "a task on no GPU costs no GPU-hours")
            // The failed attempt counts: the training took at least two attempts of 0.3 s on 2 GPUs.
            #expect(try value(row, "cost/train/gpu_hours") >= 2 * 0.3 * 2 / 3600)
        }
        // The run counts each task once, the shared preparation too.
        let run = try #require(costs.costs.first)
        #expect(run.tasks.count == 5)
        #expect(run.total.attempts == 7)
        #expect(run.total.unsuccessfulAttempts == 2)
        #expect(abs(run.total.gpuHours - gpuSeconds.values.reduce(0, +) / 3600) < 1e-6)
        #expect(run.stages.map(\.name) == ["evaluate", "prepare", "train"])
        #expect(run.sentence.hasPrefix("run \(results.run.id): "))
        #expect(run.sentence.contains(" GPU-hours (") && run.sentence.contains("7 attempts, 2 unsuccessful") && run.sentence.contains("at 2.5 per GPU-hour"))
        // The page shows the run's compute by stage and by task; JSON carries it for programs.
        let page = HTMLRenderer().render(costs)
        #expect(page.contains("<h2>Compute</h2>") && page.contains("<td>train</td><td>4</td><td>2</td>"))
        let json = try JSONReportRenderer().render(costs)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let runs = try #require(object["costs"] as? [[String: Any]])
        #expect((runs.first?["tasks"] as? [[String: Any]])?.count == 5)
        #expect(runs.first?["gpuHourPrice"] as? Double == 2.5)
    }
}
