import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A study whose trainer reports to W&B (offline), MLflow (a SQLite store) and TensorBoard, run
/// by the real binary on the tiny model, with no network: the task gets its tracker settings in
/// the environment, leaves its offline W&B run and TensorBoard events in its directory, has one
/// MLflow run; the upload that cannot reach W&B is a warning, `ablate sync` uploads to a local
/// W&B stand-in once, and `ablate export mlflow` adds the run's tasks to the store, the same
/// way twice. No credential reaches any file of the run.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct TrackingRunTests {
    static let key = "secret-" + String(repeating: "k", count: 40)

    @Test func aTrainerReportsToEveryTrackerAndTheRunSyncsAndExports() async throws {
        let placeholder = "STORE"
        let study = try TrainingStudy(
            name: "tracked",
            stages: """
                  sft:
                    kind: sft
                    model: ${stages.tiny-model.model}
                    data: instructions
                    batch_size: 2
                    max_length: 64
                    max_steps: 3
                    lora: {r: 8, alpha: 16, target_modules: [q_proj, v_proj]}
                tracking:
                  wandb: {project: tracked, mode: offline}
                  mlflow: {tracking_uri: 'sqlite:///\(placeholder)/mlflow.db'}
                  tensorboard: true
                """)
        let spec = try String(contentsOfFile: study.directory + "/study.yaml", encoding: .utf8)
        try spec.replacingOccurrences(of: placeholder, with: study.directory).write(toFile: study.directory + "/study.yaml", atomically: true, encoding: .utf8)
        // Nothing listens on port 9: the upload at the task's end cannot reach W&B.
        let environment = study.environment.merging(["WANDB_API_KEY": Self.key, "WANDB_BASE_URL": "http://127.0.0.1:9"]) { $1 }
        let run = try await CLIRunner.run(["run", "study.yaml", "--runs-dir", study.runs], in: study.directory, environment: environment)
        #expect(run.status == 0, "\(run.stderr.suffix(2000))")
        #expect(run.stderr.contains("sft: its W&B runs were not uploaded"), "\(run.stderr.suffix(2000))")
        let layout = try #require(study.layout)

        // The task was told where to report, outside its command and fingerprint.
        struct Recorded: Decodable { var environment: [String: String] }
        let command = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: URL(fileURLWithPath: layout.command("sft"))))
        let tracking = try #require(command.environment["ABLATE_TRACKING"])
        let request = try #require(try JSONSerialization.jsonObject(with: Data(tracking.utf8)) as? [String: Any])
        #expect(request["run_name"] as? String == "tracked/sft")
        #expect(request["group"] as? String == "tracked/" + layout.runID)
        let trackerID = try #require(request["tracker_id"] as? String)
        #expect(trackerID.count == 16)
        let record = try #require(try layout.readTaskRecord("sft"))
        #expect((request["tags"] as? [String: String])?["ablate.fingerprint"] == record.fingerprint.value)

        // Each tracker's files: W&B's offline run with the task's id, TensorBoard's events.
        let wandb = try FileManager.default.contentsOfDirectory(atPath: layout.taskDirectory("sft") + "/wandb")
        #expect(wandb.contains { $0.hasPrefix("offline-run-") && $0.hasSuffix(trackerID) }, "\(wandb)")
        let events = try FileManager.default.subpathsOfDirectory(atPath: layout.taskDirectory("sft") + "/tensorboard")
        #expect(events.contains { $0.contains("events.out.tfevents") }, "\(events)")

        // MLflow holds one run for the task, with its loss at every step; an export adds the
        // other tasks and leaves the trainer's run one, the same way each time.
        let python = try #require(ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"])
        let store = "sqlite:///\(study.directory)/mlflow.db"
        let query = """
            import mlflow, sys
            client = mlflow.MlflowClient(sys.argv[1])
            runs = client.search_runs([client.get_experiment_by_name("tracked").experiment_id])
            names = sorted(run.info.run_name for run in runs)
            sft = [run for run in runs if run.info.run_name == "tracked/sft"]
            print(len(runs), ",".join(names), len(client.get_metric_history(sft[0].info.run_id, "loss")) if sft else 0)
            """
        func stored() async throws -> String {
            try await Self.output(of: [python, "-c", query, store]).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        await #expect(try stored() == "1 tracked/sft 3")
        for _ in 0..<2 {
            let export = try await CLIRunner.run(
                ["export", "mlflow", layout.runDirectory, "--runs-dir", study.runs], in: study.directory, environment: environment)
            #expect(export.status == 0, "\(export.stderr.suffix(2000))")
            #expect(export.stdout.contains("tasks to experiment tracked at \(store)"), "\(export.stdout)")
        }
        await #expect(try stored() == "3 tracked/environment[runners],tracked/sft,tracked/tiny-model 3")

        // A W&B server on this machine: sync uploads the offline run once.
        let server = try FakeWandbServer(python: python)
        defer { server.stop() }
        var syncEnvironment = environment
        syncEnvironment["WANDB_BASE_URL"] = server.url
        let synced = try await CLIRunner.run(["sync", layout.runDirectory, "--runs-dir", study.runs], in: study.directory, environment: syncEnvironment)
        #expect(synced.status == 0, "\(synced.stdout)\(synced.stderr)")
        #expect(synced.stdout.contains("sft: synced run \(trackerID)"), "\(synced.stdout)")
        let again = try await CLIRunner.run(["sync", layout.runDirectory, "--runs-dir", study.runs], in: study.directory, environment: syncEnvironment)
        #expect(again.status == 0 && again.stdout.contains("nothing to sync"), "\(again.stdout)")

        // No credential in any file of the run or of the outputs it produced.
        for root in [layout.runDirectory, layout.cacheDirectory] {
            for path in FileManager.default.enumerator(atPath: root)?.compactMap({ $0 as? String }) ?? [] {
                guard let data = FileManager.default.contents(atPath: root + "/" + path) else { continue }
                #expect(data.range(of: Data(Self.key.utf8)) == nil, "\(path) holds the W&B key")
            }
        }
    }

    static func output(of arguments: [String]) async throws -> String {
        let environment = ProcessInfo.processInfo.environment.merging(["PYTHONPATH": CLIRunner.testsDirectory + "/../../Runners"]) { $1 }
        return try await onOwnThread { try capturedOutput(of: arguments, environment: environment).output }
    }
}

/// The runners' W&B stand-in (`Runners/tests/fake_wandb.py`), served on a free port of this machine.
final class FakeWandbServer {
    let process = Process()
    let url: String

    init(python: String) throws {
        let tests = CLIRunner.testsDirectory + "/../../Runners/tests"
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            "-c",
            """
            import sys
            sys.path.insert(0, sys.argv[1])
            from http.server import ThreadingHTTPServer
            from fake_wandb import FakeWandb
            server = ThreadingHTTPServer(("127.0.0.1", 0), FakeWandb)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """,
            tests,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            guard !chunk.isEmpty else { break }
            line.append(chunk)
        }
        url = "http://127.0.0.1:" + String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// SIGKILL: the test process's threads may block SIGTERM, and a child inherits the mask.
    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
