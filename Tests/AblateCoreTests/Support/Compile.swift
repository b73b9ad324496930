import AblateCore
import AblateTestSupport
import Foundation

/// Shorthands for compiling specs in tests.
enum Compile {
    /// Compiles YAML text written to a temporary file (so relative paths resolve there).
    static func text(
        _ yaml: String, files: [String: String] = [:], reading disk: any LocalFiles = DiskFiles(), hubCommits: HubCommits = [:]
    ) throws -> StudyCompiler.Outcome {
        let directory = Scratch.path("spec")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, content) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try content.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let path = directory + "/spec.yaml"
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return StudyCompiler(files: disk, resolveHubRevisions: { repositories in hubCommits.filter { repositories.contains($0.key) } }).compile(path: path)
    }

    /// The plan, or a failure listing the diagnostics.
    static func plan(
        _ yaml: String, files: [String: String] = [:], reading disk: any LocalFiles = DiskFiles(), hubCommits: HubCommits = [:]
    ) throws -> Plan {
        let outcome = try text(yaml, files: files, reading: disk, hubCommits: hubCommits)
        guard let plan = outcome.plan else {
            throw CompileFailure(diagnostics: outcome.diagnostics.sorted.map(\.description))
        }
        return plan
    }

    struct CompileFailure: Error, CustomStringConvertible {
        var diagnostics: [String]
        var description: String { diagnostics.joined(separator: "\n") }
    }
}
