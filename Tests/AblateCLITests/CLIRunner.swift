import AblateTestSupport
import Foundation

/// Runs the built `ablate` executable as a user would.
enum CLIRunner {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
    static let fixtures = testsDirectory + "/Fixtures"
    static let snapshots = testsDirectory + "/Snapshots"

    /// The `ablate` binary beside the test bundle in the build directory.
    static var executable: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path,
            Bundle.main.bundleURL.path,
            Bundle.main.bundleURL.deletingLastPathComponent().path,
        ]
        for directory in candidates where FileManager.default.isExecutableFile(atPath: directory + "/ablate") {
            return directory + "/ablate"
        }
        return candidates[0] + "/ablate"
    }

    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `ablate` with `arguments` to its end, on a thread of its own (see `onOwnThread`).
    static func run(_ arguments: [String], in directory: String = fixtures, environment: [String: String] = [:]) async throws -> Result {
        try await onOwnThread {
            // Output goes to files rather than pipes, so that a large plan can never block the child.
            let base = Scratch.path("cli")
            _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
            _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
            defer {
                try? FileManager.default.removeItem(atPath: base + ".out")
                try? FileManager.default.removeItem(atPath: base + ".err")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
            process.currentDirectoryURL = URL(fileURLWithPath: directory)
            process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".out"))
            process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: base + ".err"))
            try process.run()
            process.waitUntilExit()
            return Result(
                status: process.terminationStatus,
                stdout: try String(contentsOfFile: base + ".out", encoding: .utf8),
                stderr: try String(contentsOfFile: base + ".err", encoding: .utf8))
        }
    }
}
