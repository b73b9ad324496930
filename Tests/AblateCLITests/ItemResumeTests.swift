import AblateStore
import AblateTestSupport
import Foundation
import Testing

@testable import AblateRun

/// A sampling stage killed half-way continues at the first prompt it had not done: `status`
/// says where, and the next attempt samples only the prompts left. It runs the real generate
/// runner on the tiny model, so it needs the runners' environment (`ABLATE_TEST_PYTHON`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] != nil))
struct ItemResumeTests {
    @Test func aGenerationKilledHalfWayResumesAtTheNextPrompt() async throws {
        let prompts = (1...40).map { #"{"prompt": "Write line \#($0) of a short poem about rivers."}"# }.joined(separator: "\n") + "\n"
        let study = try TrainingStudy(
            name: "sampling",
            stages: """
                  generate:
                    kind: generate
                    model: ${stages.tiny-model.model}
                    prompts: prompts
                    samples_per_prompt: 2
                    max_new_tokens: 16
                    batch_size: 1
                """,
            datasets: "  prompts: {path: prompts.jsonl, format: prompt-only}", files: ["prompts.jsonl": prompts])

        // The attempt's supervisor names its exit record on its command line: it is found at once,
        // where the task's record names it only once it has run a second, by when the tiny model
        // may have sampled every prompt.
        func supervisor(of layout: RunLayout) -> Int32? { SupervisorProgram.running()[layout.exitRecord("generate", attempt: 1)] }
        let (status, layout) = try await study.run(when: { layout in
            struct Progress: Decodable { var done: Int }
            guard let data = FileManager.default.contents(atPath: layout.checkpoints("generate") + "/progress.json") else { return false }
            return ((try? JSONDecoder().decode(Progress.self, from: data))?.done ?? 0) >= 2 && supervisor(of: layout) != nil
        }) { layout in
            if let pid = supervisor(of: layout) { Processes.killSession(pid) }
        }
        let killed = try #require(layout)
        #expect(status == 1)
        let shown = try await CLIRunner.run(
            ["status", killed.runDirectory, "--runs-dir", study.runs, "--json"], in: study.directory, environment: study.environment)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        let generate = try #require((report["tasks"] as? [[String: Any]])?.first { $0["task"] as? String == "generate" })
        let next = try #require(generate["continuesAtPrompt"] as? Int, "\(generate)")
        #expect(next >= 3 && next <= 40 && generate["prompts"] as? Int == 40, "\(generate)")

        let resumed = try await CLIRunner.run(["resume", killed.runDirectory, "--runs-dir", study.runs], in: study.directory, environment: study.environment)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let stderr = try String(contentsOfFile: killed.stderr("generate"), encoding: .utf8)
        #expect(stderr.contains("continuing at prompt "), "\(stderr.suffix(400))")
        let samples = try String(contentsOfFile: killed.outputs("generate") + "/samples/samples.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(samples.count == 40, "every prompt once")
        #expect(!FileManager.default.fileExists(atPath: killed.checkpoints("generate")), "the progress goes once the result is stored")
    }
}
