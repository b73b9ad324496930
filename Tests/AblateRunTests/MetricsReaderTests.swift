import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// Metrics are read from what the tools already write.
@Suite struct MetricsReaderTests {
    private func outputs(_ files: [String: String]) throws -> String {
        let directory = Scratch.path("metrics")
        for (name, text) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func scalarsSeriesWithNaNAndNullAndDeclaredFiles() throws {
        let directory = try outputs([
            "model/metrics.json": #"{"train_loss": 0.5, "eval": {"reward_accuracy": 0.75}, "note": "text", "bad": NaN}"#,
            "model/metrics.jsonl": "{\"step\": 1, \"loss\": 2.0, \"lr\": 0.001}\n{\"step\": 2, \"loss\": NaN}\n{\"step\": 3, \"loss\": null}\nnot json\n",
            "custom/scores.json": #"{"win_rate": 0.6}"#,
        ])
        let metrics = MetricsReader().read(outputs: directory, declared: ["custom/scores.json"]).record
        #expect(metrics.scalars["train_loss"]?.value == 0.5)
        #expect(metrics.scalars["eval/reward_accuracy"]?.value == 0.75)
        #expect(metrics.scalars["bad"] == MetricsRecord.Scalar(value: nil))
        #expect(metrics.scalars["note"] == nil)
        #expect(metrics.scalars["win_rate"]?.value == 0.6)
        #expect(metrics.series["loss"]?.map(\.step) == [1, 2, 3])
        #expect(metrics.series["loss"]?.map(\.value) == [2.0, nil, nil])
        #expect(metrics.series["lr"]?.count == 1)
    }

    @Test func lmEvaluationHarnessResultsWithStandardErrors() throws {
        let results = """
            {"results": {"arc_challenge": {"alias": "arc_challenge", "acc,none": 0.4624, "acc_stderr,none": 0.0146,
              "acc_norm,none": 0.4966, "acc_norm_stderr,none": 0.0146},
              "truthfulqa_mc2": {"acc,none": 0.3896, "acc_stderr,none": NaN}}, "config": {"model": "hf"}}
            """
        let directory = try outputs(["results/__models__base/results_2026-11-23T18-00-00.json": results])
        let metrics = MetricsReader().read(outputs: directory, declared: []).record
        #expect(metrics.scalars["arc_challenge/acc_norm"] == MetricsRecord.Scalar(value: 0.4966, stderr: 0.0146))
        #expect(metrics.scalars["arc_challenge/acc"]?.value == 0.4624)
        #expect(metrics.scalars["truthfulqa_mc2/acc"] == MetricsRecord.Scalar(value: 0.3896, stderr: nil))
        #expect(metrics.scalars.keys.sorted() == ["arc_challenge/acc", "arc_challenge/acc_norm", "truthfulqa_mc2/acc"])
    }

    @Test func perItemValuesAreKeptAndTheirMeanIsTheScalar() throws {
        let directory = try outputs([
            "judge/items.jsonl": "{\"item\": \"p1\", \"win\": 1}\n{\"item\": \"p2\", \"win\": 0}\n{\"item\": \"p3\", \"win\": 1, \"ead\": 0.5}\n",
            "judge/metrics.json": #"{"ead": 0.9}"#,
        ])
        let metrics = MetricsReader().read(outputs: directory, declared: []).record
        #expect(metrics.items["win"] == [1, 0, 1])
        #expect(metrics.items["ead"] == [0.5])
        #expect(metrics.scalars["win"]?.value == 2.0 / 3.0)
        #expect(metrics.scalars["ead"]?.value == 0.9, "metrics.json's value wins over the mean of the items")
    }
}
