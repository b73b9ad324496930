import AblateCore
import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A study that names hub repositories, run against the fake hub: its models and datasets are
/// fetch tasks that download once into the shared Hugging Face cache, the stages read the local
/// snapshots offline, a moved branch re-runs exactly its dependants, the token is never written,
/// and each way a fetch fails is one line. It needs the runners' environment (`Scripts/test.sh`
/// names it in `ABLATE_TEST_PYTHON`): the fetch runner uses huggingface_hub, and SFT runs for real
/// on the tiny model served by the fake hub.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct HubFetchTests {
    let directory = Scratch.path("hub")
    let python = ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] ?? "python3"
    let hub: FakeHub

    init() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        hub = try FakeHub(directory: directory, python: python)
    }

    private var environment: [String: String] {
        ["HF_ENDPOINT": hub.endpoint, "HF_HOME": directory + "/hf-home", "HF_TOKEN": "", "HF_HUB_OFFLINE": "0"]
    }

    /// `ablate run` with `--json`: the action of each task, and the run's layout.
    private func run(
        _ spec: String, _ flags: [String] = [], token: String? = nil
    ) async throws -> (actions: [String: String], layout: RunLayout, result: CLIRunner.Result) {
        var variables = environment
        if let token { variables["HF_TOKEN"] = token }
        let result = try await CLIRunner.run(["run", spec, "--runs-dir", directory + "/Runs", "--json"] + flags, in: directory, environment: variables)
        let events = result.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let started = events.first { $0["event"] as? String == "run-started" }
        let tasks = started?["tasks"] as? [[String: String]] ?? []
        let runDirectory = directory + "/Runs/" + (started?["study"] as? String ?? "") + "/" + (started?["run"] as? String ?? "")
        let actions = Dictionary(uniqueKeysWithValues: tasks.compactMap { task in task["task"].map { ($0, task["action"] ?? "") } })
        return (actions, RunLayout(runDirectory: runDirectory), result)
    }

    /// A tiny Llama as a hub model repository, the quickstart's instructions as a dataset, and a
    /// multiple-choice dataset that a local lm-eval task reads from the hub.
    private func publishTinyModelAndData() async throws {
        let made = directory + "/made"
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = [
            "PYTHONPATH=" + CLIRunner.testsDirectory + "/../../Runners", "HF_HUB_OFFLINE=1", python, "-m", "ablate_runners.tiny_model", "--output", made,
        ]
        maker.standardOutput = FileHandle.nullDevice
        try maker.run()
        await maker.waitForExit()
        #expect(maker.terminationStatus == 0)
        let model = try hub.branch("model", "test-org/tiny-llama")
        for file in try FileManager.default.contentsOfDirectory(atPath: made + "/model") {
            try FileManager.default.copyItem(atPath: made + "/model/" + file, toPath: model + "/" + file)
        }
        let data = try hub.branch("dataset", "test-org/instructions") + "/data"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: CLIRunner.testsDirectory + "/../../Experiments/data/quickstart/instructions.jsonl", toPath: data + "/train.jsonl")
        let questions = try hub.branch("dataset", "test-org/mc-eval") + "/data"
        try FileManager.default.createDirectory(atPath: questions, withIntermediateDirectories: true)
        try """
        {"question": "Is the moon bright?", "choices": ["yes", "no"], "answer": 0}
        {"question": "Is rain dry?", "choices": ["yes", "no"], "answer": 1}

        """.write(toFile: questions + "/test.jsonl", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: directory + "/tasks", withIntermediateDirectories: true)
        try """
        task: hub_mc
        dataset_path: test-org/mc-eval
        test_split: test
        output_type: multiple_choice
        doc_to_text: "Question: {{question}}\\nAnswer:"
        doc_to_choice: "{{choices}}"
        doc_to_target: "{{answer}}"
        metric_list:
          - metric: acc

        """.write(toFile: directory + "/tasks/hub_mc.yaml", atomically: true, encoding: .utf8)
        try """
        ablate: 1
        name: hub-study
        models:
          tiny: {hub: test-org/tiny-llama}
        datasets:
          instructions: {hub: test-org/instructions, format: prompt-completion}
        defaults:
          lora: {r: 8, alpha: 16, dropout: 0.0, target_modules: [q_proj, v_proj]}
          max_length: 64
          max_steps: 2
          batch_size: 2
          seed: 0
          resources: {cpus: 1, memory: 2G, time: 15m}
        stages:
          sft: {kind: sft, model: tiny, data: instructions}
          eval: {kind: lm-eval, model: "${stages.sft.model}", tasks: [hub_mc], task_dir: tasks, max_length: 64}

        """.write(toFile: directory + "/study.yaml", atomically: true, encoding: .utf8)
    }

    @Test func hubModelAndDatasetAreFetchedOnceAndAMovedBranchRerunsExactlyItsDependants() async throws {
        try await publishTinyModelAndData()
        let first = try await run("study.yaml", token: FakeHub.token)
        #expect(first.result.status == 0, "\(first.result.stderr)")
        #expect(
            first.actions == [
                "environment[runners]": first.actions["environment[runners]"] ?? "", "fetch[model:tiny]": "run",
                "fetch[dataset:instructions]": "run", "fetch[lm-eval:hub_mc]": "run", "sft": "run", "eval": "run",
            ])
        let downloads = hub.downloads
        #expect(downloads == 8, "the model's six files and each dataset's one, each once")
        // The evaluation read the lm-eval task's dataset, fetched into the shared datasets cache, offline.
        struct Recorded: Decodable {
            var arguments: [String]
            var environment: [String: String]
        }
        let evalCommand = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: URL(fileURLWithPath: first.layout.command("eval"))))
        #expect(evalCommand.environment["HF_DATASETS_OFFLINE"] == "1" && evalCommand.environment["HF_DATASETS_CACHE"] == directory + "/hf-home/datasets")
        #expect(
            try String(contentsOfFile: first.layout.stdout("eval"), encoding: .utf8).contains("lm-eval task hub_mc: datasets test-org/mc-eval from the cache"))
        // The stage read the snapshot in the shared cache, offline.
        let sftCommand = try JSONDecoder().decode(Recorded.self, from: Data(contentsOf: URL(fileURLWithPath: first.layout.command("sft"))))
        #expect(sftCommand.arguments.contains { $0.contains(directory + "/Runs/.cache/") } && sftCommand.environment["HF_HUB_OFFLINE"] == "1")
        let fetched =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: first.layout.outputs("fetch[model:tiny]") + "/fetch.json"))) as? [String: Any]
        #expect(fetched?["files"] as? Int == 6 && (fetched?["bytes"] as? Int ?? 0) > 100_000)
        let snapshot = try FileManager.default.destinationOfSymbolicLink(atPath: first.layout.outputs("fetch[model:tiny]") + "/snapshot")
        #expect(snapshot.hasPrefix(directory + "/hf-home/hub/models--test-org--tiny-llama/snapshots/"))
        // The token reached the fetch tasks (the hub saw it) and no file of the run holds it.
        #expect(try String(contentsOfFile: hub.log, encoding: .utf8).contains("/resolve/"))
        await #expect(try filesContaining(FakeHub.token, under: directory + "/Runs").isEmpty)
        let runJSON = try String(contentsOfFile: first.layout.runRecord, encoding: .utf8)
        #expect(runJSON.contains("model test-org/tiny-llama@main"), "the resolved commits are in the provenance")

        // A second run, here of the same study, downloads nothing.
        let second = try await run("study.yaml")
        #expect(second.actions.values.allSatisfy { $0 == "cached" }, "\(second.actions)")
        #expect(hub.downloads == downloads)

        // Pushing to the dataset's main re-runs its fetch and the stage reading it, not the model's.
        let data = try hub.branch("dataset", "test-org/instructions") + "/data/train.jsonl"
        let handle = try #require(FileHandle(forWritingAtPath: data))
        handle.seekToEndOfFile()
        handle.write(Data(#"{"prompt": "Say hi.", "completion": "Hi."}"#.utf8 + [10]))
        try handle.close()
        let explained = try await CLIRunner.run(
            ["plan", "--explain", second.layout.runDirectory, "--runs-dir", directory + "/Runs"], in: directory, environment: environment)
        let fetchLine = explained.stdout.split(separator: "\n").first { $0.contains("fetch[dataset:instructions]") } ?? ""
        #expect(fetchLine.contains("dataset instructions: revision main moved "), "\(explained.stdout)")
        #expect(explained.stdout.contains("it reads fetch[dataset:instructions], which runs again"))
        let third = try await run("study.yaml")
        #expect(third.actions["fetch[model:tiny]"] == "cached" && third.actions["fetch[lm-eval:hub_mc]"] == "cached")
        #expect(third.actions["fetch[dataset:instructions]"] == "run" && third.actions["sft"] == "run" && third.actions["eval"] == "run")
        #expect(hub.downloads == downloads + 1, "only the changed file is downloaded")

        // Offline, the study runs from the cache alone.
        let offline = try await run("study.yaml", ["--offline"])
        #expect(offline.result.status == 0 && offline.actions.values.allSatisfy { $0 == "cached" }, "\(offline.result.stderr)")
    }

    @Test(.enabled(if: LocalSlurm.isAvailable))
    func underSlurmFetchTasksRunOnTheSubmittingMachine() async throws {
        try "{}".write(toFile: try hub.branch("model", "test-org/small") + "/config.json", atomically: true, encoding: .utf8)
        try """
        ablate: 1
        name: hub-slurm
        models: {small: {hub: test-org/small}}
        stages: {read: {kind: command, run: 'cat "${models.small}/config.json"'}}

        """.write(toFile: directory + "/slurm.yaml", atomically: true, encoding: .utf8)
        let result = try await run("slurm.yaml", ["--executor", "slurm", "--poll-interval", "0.3"])
        #expect(result.result.status == 0, "\(result.result.stderr)")
        let fetch = try #require(try result.layout.readTaskRecord("fetch[model:small]")?.lastAttempt)
        #expect(fetch.jobID == nil && fetch.pid != nil, "compute nodes often have no network: the download ran here")
        #expect(try result.layout.readTaskRecord("read")?.lastAttempt?.jobID != nil, "the stage reading the snapshot was a job")
    }

    @Test func eachWayAFetchFailsIsOneLineNamingTheRepositoryAndTheFix() async throws {
        try "{}".write(toFile: try hub.branch("model", "test-org/open") + "/config.json", atomically: true, encoding: .utf8)
        try hub.gate("model", "test-org/gated")
        try """
        ablate: 1
        name: hub-errors
        models:
          gated: {hub: test-org/gated}
          missing: {hub: test-org/missing}
          wrong-revision: {hub: test-org/open, revision: v9}
        stages:
          use-gated: {kind: command, run: 'ls "${models.gated}"'}
          use-missing: {kind: command, run: 'ls "${models.missing}"'}
          use-wrong-revision: {kind: command, run: 'ls "${models.wrong-revision}"'}

        """.write(toFile: directory + "/errors.yaml", atomically: true, encoding: .utf8)
        let failed = try await run("errors.yaml", ["--keep-going"])
        #expect(failed.result.status == 1)
        let page = hub.endpoint + "/test-org/gated"
        let expected = [
            "fetch[model:gated]":
                "error: model test-org/gated is gated: accept its licence at \(page) and set HF_TOKEN (or log in with 'hf auth login') with an account that has access",
            "fetch[model:missing]": "error: model test-org/missing was not found at \(hub.endpoint): check the id (a private repository also needs HF_TOKEN)",
            "fetch[model:wrong-revision]":
                "error: model test-org/open@v9: the repository has no revision 'v9'; check the branch, tag or commit in the spec's 'revision:'",
        ]
        for (task, line) in expected {
            let record = try failed.layout.readTaskRecord(task)
            #expect(record?.state == .failed)
            #expect(lastLine(of: failed.layout.stderr(task)) == line)
            #expect(record?.reason == "exited with code 1: " + line, "the live view, the JSON events and status say why")
        }
        #expect(try failed.layout.readTaskRecord("use-gated")?.state == .skipped)

        // With the token the gated model is fetched; offline, a repository the cache lacks is named.
        try """
        ablate: 1
        name: hub-gated
        models: {gated: {hub: test-org/gated}}
        stages: {use: {kind: command, run: 'ls "${models.gated}"'}}

        """.write(toFile: directory + "/gated.yaml", atomically: true, encoding: .utf8)
        let offline = try await run("gated.yaml", ["--offline"], token: FakeHub.token)
        #expect(offline.result.status == 1)
        let warnings = offline.result.stdout.split(separator: "\n").compactMap { line -> String? in
            let event = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return event?["event"] as? String == "warning" ? event?["message"] as? String : nil
        }
        #expect(warnings == ["offline: model test-org/gated@main is not in the cache (\(directory)/hf-home/hub); run once without --offline to fetch it"])
        #expect(
            lastLine(of: offline.layout.stderr("fetch[model:gated]"))
                == "error: model test-org/gated is not in the cache (\(directory)/hf-home/hub) and --offline forbids downloading it: run once without --offline"
        )
        let granted = try await run("gated.yaml", token: FakeHub.token)
        #expect(granted.result.status == 0, "\(granted.result.stderr)")
        await #expect(try filesContaining(FakeHub.token, under: directory + "/Runs").isEmpty)
    }

    /// Planning asks the hub for the commit of each revision, with the token when there is one;
    /// a refusal is named with the hub's reason, and nothing is taken for a commit that is not one.
    @Test func revisionsResolveAgainstTheHubAndARefusalNamesTheHubsReason() throws {
        let open = try hub.branch("model", "test-org/open")
        try "{}".write(toFile: open + "/config.json", atomically: true, encoding: .utf8)
        try hub.gate("model", "test-org/gated")
        func resolver(token: String?) -> HubRevisionResolver {
            let home = directory + "/hf-home"
            let settings = HubSettings(
                endpoint: hub.endpoint, home: home, hubCache: home + "/hub", datasetsCache: home + "/datasets", offline: false, token: token)
            return HubRevisionResolver(settings: settings)
        }
        let main = HubRepository(kind: .model, id: "test-org/open", revision: nil)
        let gated = HubRepository(kind: .model, id: "test-org/gated", revision: nil)
        let wrongRevision = HubRepository(kind: .model, id: "test-org/open", revision: "v9")
        let missing = HubRepository(kind: .dataset, id: "test-org/missing", revision: nil)

        let anonymous = resolver(token: nil)
        let commits = anonymous.resolve([main, gated, wrongRevision, missing])
        let commit = try #require(commits[main])
        #expect(HubRepository.isCommit(commit) && commits.count == 1, "\(commits)")
        #expect(
            anonymous.notes == [
                "model test-org/gated@main: the hub answered 401 (GatedRepo); its fetch task will say how to fix it",
                "model test-org/open@v9: the hub answered 404 (RevisionNotFound); its fetch task will say how to fix it",
                "dataset test-org/missing@main: the hub answered 404 (RepoNotFound); its fetch task will say how to fix it",
            ])

        // The token opens the gated repository; the branch that moved has a new commit.
        try "{\"moved\": true}".write(toFile: open + "/config.json", atomically: true, encoding: .utf8)
        let authorised = resolver(token: FakeHub.token)
        let granted = authorised.resolve([gated, main])
        #expect(granted[gated].map(HubRepository.isCommit) == true && authorised.notes.isEmpty, "\(authorised.notes)")
        #expect(granted[main] != nil && granted[main] != commit)
        let requests = try String(contentsOfFile: hub.log, encoding: .utf8).split(separator: "\n")
        #expect(requests.contains("GET /api/models/test-org/gated/revision/main token"))
    }

    private func lastLine(of file: String) -> String {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").last.map(String.init) ?? ""
    }

    /// The files under `root` that hold `text`, as `grep -r` finds them (it does not follow the
    /// links into the environments and the hub cache).
    private func filesContaining(_ text: String, under root: String) async throws -> [String] {
        let grep = Process()
        grep.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        grep.arguments = ["grep", "-rlF", "--", text, root]
        let output = Pipe()
        grep.standardOutput = output
        try grep.run()
        let found = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        await grep.waitForExit()
        return found.split(separator: "\n").map(String.init)
    }
}
