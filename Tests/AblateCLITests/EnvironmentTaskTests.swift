import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A built-in stage runs in a Python environment that ablate creates on first use, keeps in
/// its cache directory and reuses; when the environment disappears, the next run builds it
/// again. A stand-in runners folder with an empty requirements file keeps it to seconds.
@Suite struct EnvironmentTaskTests {
    let directory = Scratch.path("environments")
    var environments: String { directory + "/environments" }

    init() throws {
        let manager = FileManager.default
        let package = directory + "/Runners/ablate_runners"
        try manager.createDirectory(atPath: package, withIntermediateDirectories: true)
        try manager.createDirectory(atPath: directory + "/Runners/environments", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: directory + "/model", withIntermediateDirectories: true)
        let realPackage = CLIRunner.testsDirectory + "/../../Runners/ablate_runners"
        for file in ["__init__.py", "common.py", "environment.py"] {
            try manager.copyItem(atPath: realPackage + "/" + file, toPath: package + "/" + file)
        }
        // A generate runner that needs nothing but the standard library.
        try """
        import argparse, json, os
        parser = argparse.ArgumentParser()
        for flag in ["--model", "--prompts", "--prompts-format", "--prompts-split", "--output"]:
            parser.add_argument(flag)
        arguments = parser.parse_args()
        os.makedirs(os.path.join(arguments.output, "samples"), exist_ok=True)
        with open(os.path.join(arguments.output, "samples", "samples.jsonl"), "w") as handle:
            handle.write(json.dumps({"prompt_id": "0", "prompt": "hi", "samples": ["hello"]}) + "\\n")

        """.write(toFile: package + "/generate.py", atomically: true, encoding: .utf8)
        try "# nothing beyond pip itself\n".write(toFile: directory + "/Runners/environments/runners.txt", atomically: true, encoding: .utf8)
        try "{}".write(toFile: directory + "/model/config.json", atomically: true, encoding: .utf8)
        try #"{"prompt": "hi"}"#.write(toFile: directory + "/prompts.jsonl", atomically: true, encoding: .utf8)
        try """
        ablate: 1
        name: environments
        models: {base: {path: model}}
        datasets: {prompts: {path: prompts.jsonl, format: prompt-only}}
        stages:
          samples: {kind: generate, model: base, prompts: prompts}

        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
    }

    private func run(_ flags: [String] = []) async throws -> [String: String] {
        let result = try await CLIRunner.run(
            ["run", "study.yaml", "--runs-dir", directory + "/Runs", "--json"] + flags, in: directory,
            environment: ["ABLATE_RUNNERS": directory + "/Runners", "ABLATE_ENVIRONMENTS": environments])
        #expect(result.status == 0, "\(result.stderr)")
        let started = result.stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.first { $0["event"] as? String == "run-started" }
        let tasks = started?["tasks"] as? [[String: String]] ?? []
        return Dictionary(uniqueKeysWithValues: tasks.compactMap { task in task["task"].map { ($0, task["action"] ?? "") } })
    }

    private func builtEnvironments() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: environments)) ?? []).filter { !$0.hasSuffix(".lock") }
    }

    @Test func theEnvironmentIsBuiltOnceReusedAndRebuiltWhenItIsGone() async throws {
        await #expect(try run() == ["environment[runners]": "run", "samples": "run"])
        let built = builtEnvironments()
        #expect(built.count == 1 && built[0].hasPrefix("runners-"))
        #expect(FileManager.default.fileExists(atPath: environments + "/" + built[0] + "/bin/python"))

        await #expect(try run() == ["environment[runners]": "cached", "samples": "cached"])

        try FileManager.default.removeItem(atPath: environments)
        await #expect(try run() == ["environment[runners]": "run", "samples": "run"])
        #expect(builtEnvironments() == built)
    }

    @Test(.enabled(if: LocalSlurm.isAvailable))
    func underSlurmTheEnvironmentIsBuiltOnTheSubmittingMachineAndTheStageIsAJob() async throws {
        await #expect(try run(["--executor", "slurm", "--poll-interval", "0.3"]) == ["environment[runners]": "run", "samples": "run"])
        let runs = directory + "/Runs/environments"
        let layout = RunLayout(runDirectory: runs + "/" + (try FileManager.default.contentsOfDirectory(atPath: runs).first ?? ""))
        let environment = try #require(try layout.readTaskRecord("environment[runners]")?.lastAttempt)
        #expect(environment.jobID == nil && environment.pid != nil, "pip needs the network, which compute nodes often lack: it ran here")
        #expect(!FileManager.default.fileExists(atPath: layout.batchScript("environment[runners]")))
        let samples = try #require(try layout.readTaskRecord("samples")?.lastAttempt)
        #expect(samples.jobID != nil && samples.state == .completed, "the stage itself was a Slurm job")
    }
}
