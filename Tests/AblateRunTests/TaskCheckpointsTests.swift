import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// Where a sampling task continues, read from its per-prompt progress: its own, or the sum of its
/// processes' when it shares its prompts out over several GPUs.
struct TaskCheckpointsTests {
    static func fingerprint() throws -> Fingerprint {
        let keys = Dictionary(uniqueKeysWithValues: Fingerprint.Key.allCases.map { ($0.rawValue, String(repeating: "0", count: 16)) })
        let json = try JSONSerialization.data(withJSONObject: ["value": String(repeating: "a", count: 64), "keys": keys])
        return try JSONDecoder().decode(Fingerprint.self, from: json)
    }

    static func checkpoints(progress: [String: String]) throws -> TaskCheckpoints {
        let layout = RunLayout(runDirectory: Scratch.path("checkpoints"))
        let checkpoints = TaskCheckpoints(layout: layout, task: "generate")
        try checkpoints.prepare(for: fingerprint())
        for (file, text) in progress {
            let path = checkpoints.directory + "/" + file
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return checkpoints
    }

    @Test func oneProcessSaysWhereItContinues() throws {
        let checkpoints = try Self.checkpoints(progress: ["progress.json": #"{"done": 240, "total": 500, "unit": "prompts"}"#])
        let position = try #require(checkpoints.latest(for: try Self.fingerprint()))
        #expect(position.unit == .prompt && position.description == "prompt 241 of 500")
    }

    @Test func severalProcessesAddUpTheirShares() throws {
        let checkpoints = try Self.checkpoints(progress: [
            "rank-0/progress.json": #"{"done": 4, "total": 10, "unit": "prompts"}"#,
            "rank-1/progress.json": #"{"done": 2, "total": 10, "unit": "prompts"}"#,
        ])
        let position = try #require(checkpoints.latest(for: try Self.fingerprint()))
        #expect(position.unit == .prompt && position.at == 7 && position.of == 20)
        let finished = try Self.checkpoints(progress: [
            "rank-0/progress.json": #"{"done": 10, "total": 10, "unit": "prompts"}"#,
            "rank-1/progress.json": #"{"done": 10, "total": 10, "unit": "prompts"}"#,
        ])
        #expect(finished.latest(for: try Self.fingerprint()) == nil, "nothing left to continue")
    }
}
