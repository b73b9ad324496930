import Foundation

/// The fake Hugging Face Hub of `Runners/tests/fake_hub.py`, a local HTTP server speaking the
/// hub's protocol, run for one test: repositories are folders under `root`, one per branch.
final class FakeHub {
    static let token = "hf_fake_token_never_written"
    let root: String
    let log: String
    let endpoint: String
    private let process = Process()

    init(directory: String, python: String) throws {
        root = directory + "/hub-root"
        log = directory + "/hub-requests.log"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, CLIRunner.testsDirectory + "/../../Runners/tests/fake_hub.py", "--root", root, "--token", Self.token, "--log", log,
        ]
        process.standardOutput = output
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = output.fileHandleForReading.availableData
            guard !chunk.isEmpty else { throw CocoaError(.fileReadUnknown) }
            line.append(chunk)
        }
        endpoint = "http://127.0.0.1:" + String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    deinit {
        // SIGKILL: a child of the test process may inherit a mask that blocks SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The folder of a repository's branch, created empty if it is not there.
    func branch(_ kind: String, _ id: String, _ branch: String = "main") throws -> String {
        let path = root + "/\(kind)s/\(id)/\(branch)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Makes a repository answer 401 to requests without the token, as a gated one does.
    func gate(_ kind: String, _ id: String) throws {
        _ = try branch(kind, id)
        FileManager.default.createFile(atPath: root + "/\(kind)s/\(id)/.gated", contents: Data())
    }

    /// The requests that downloaded a file (`GET …/resolve/…`).
    var downloads: Int {
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.hasPrefix("GET ") && $0.contains("/resolve/") }.count
    }
}
