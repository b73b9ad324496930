import AblateTestSupport
import Foundation

/// Where the repository's files are, found from this source file.
enum Paths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    static let repository = URL(fileURLWithPath: testsDirectory).deletingLastPathComponent().deletingLastPathComponent().path
    static let fixtures = testsDirectory + "/Fixtures"
    static let snapshots = testsDirectory + "/Snapshots"
    static let experiments = repository + "/Experiments"

    static let benchmarks = repository + "/Benchmarks"

    /// The example specs under Experiments/ (not the shared defaults they extend) and the
    /// studies the benchmarks run.
    static var exampleSpecs: [String] {
        [experiments, benchmarks].flatMap { directory in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                .filter { $0.hasSuffix(".yaml") }.sorted().map { directory + "/" + $0 }
        }
    }

    /// A fresh temporary directory holding a copy of `Fixtures/<name>`.
    static func copyOfFixtures(_ name: String) throws -> String {
        let directory = Scratch.path("tests")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = directory + "/" + name
        try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: target)
        return target
    }
}
