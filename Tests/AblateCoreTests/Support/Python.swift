import AblateTestSupport
import Foundation

/// The Python the tests run: `ABLATE_TEST_PYTHON` (the runners' environment, with `jsonschema`), else `python3`.
enum Python {
    static var interpreter: String { ProcessInfo.processInfo.environment["ABLATE_TEST_PYTHON"] ?? "python3" }

    /// Runs the interpreter with `arguments` (and `variables` set) on a thread of its own (see
    /// `onOwnThread`), returning its exit status and its standard output and error together.
    static func run(_ arguments: [String], variables: [String] = []) async throws -> (status: Int32, output: String) {
        try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = variables + [interpreter] + arguments
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            return (process.terminationStatus, output)
        }
    }
}
