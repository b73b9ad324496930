import AblateCore
import AblateTestSupport
import Foundation
import Testing

@testable import AblateRun

/// Which warm interpreter a task goes to: one per Python and per value of the variables that
/// libraries read when imported, so that stages run online and offline each get an interpreter
/// whose environment is theirs, whichever starts first; none for a fetch task, which starts cold.
@Suite struct WarmInterpretersTests {
    let directory = Scratch.path("warm-interpreters")

    func request(_ variables: [String: String], module: String = "ablate_runners.sft") throws -> LaunchRequest {
        let python = try #require(WarmStartTests.python)
        return LaunchRequest(
            name: "task", arguments: [python, "-m", module, "--output", directory],
            environment: ["PYTHONPATH": WarmStartTests.runners].merging(variables) { _, new in new }, workingDirectory: directory,
            standardOutput: directory + "/stdout.log", standardError: directory + "/stderr.log", exitRecord: directory + "/exit.json",
            batchScript: directory + "/job.sh", placement: nil, resources: TaskResources())
    }

    /// Waits until the interpreter behind `socket` says it serves.
    func serving(_ socket: String) async -> Bool {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if ((try? String(contentsOfFile: directory + "/" + socket + ".log", encoding: .utf8)) ?? "").contains("serving") { return true }
            try? await Task.sleep(for: .seconds(0.05))
        }
        return false
    }

    @Test(.enabled(if: WarmStartTests.python != nil))
    func anOnlineAndAnOfflineStageGetAnInterpreterEachAndPerTaskVariablesDoNotMatterAndFetchesStartCold() async throws {
        let interpreters = WarmInterpreters(directory: directory, preload: [])
        defer { interpreters.shutDown() }
        let online = try #require(interpreters.socket(for: try request(["HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:1"])))
        let offline = try #require(interpreters.socket(for: try request(["HF_HUB_OFFLINE": "1", "ABLATE_TASK": "sft"])))
        #expect(online != offline, "the online stage's interpreter would refuse every offline stage")
        let onlineServes = await serving(online)
        let offlineServes = await serving(offline)
        #expect(onlineServes && offlineServes)
        #expect(try interpreters.socket(for: request(["HF_HUB_OFFLINE": "1", "ABLATE_TASK": "dpo", "OMP_NUM_THREADS": "1"])) == offline)
        #expect(try interpreters.socket(for: request(["HF_HUB_OFFLINE": "0", "HF_ENDPOINT": "http://127.0.0.1:1"])) == online)
        #expect(try interpreters.socket(for: request(["HF_HUB_OFFLINE": "0"], module: "ablate_runners.fetch")) == nil)
        #expect(try interpreters.socket(for: request(["HF_HUB_OFFLINE": "1"], module: "ablate_runners.fetch")) == nil)
    }

    @Test func theImportTimeVariablesAreTheOnesTheInterpreterChecks() throws {
        let warm = try String(contentsOfFile: WarmStartTests.runners + "/ablate_runners/warm.py", encoding: .utf8)
        let line = try #require(warm.split(separator: "\n").first { $0.hasPrefix("IMPORT_TIME_PREFIXES = (") })
        let prefixes = line.split(separator: "\"").enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
        #expect(prefixes == WarmInterpreters.importTimePrefixes)
        #expect(
            WarmInterpreters.importTimeLines(["HF_HOME": "/h", "PYTHONPATH": "/p", "OMP_NUM_THREADS": "2", "ABLATE_TASK": "x"])
                == "HF_HOME=/h\nPYTHONPATH=/p")
    }
}
