import Foundation

/// Where the repository's files are, found from this source file.
enum Paths {
    static let testsDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().path
    static let repository = URL(fileURLWithPath: testsDirectory).deletingLastPathComponent().deletingLastPathComponent().path
    static let fixtures = testsDirectory + "/Fixtures"
    static let snapshots = testsDirectory + "/Snapshots"
    static let experiments = repository + "/Experiments"

    /// The example specs under Experiments/ (not the shared defaults they extend).
    static var exampleSpecs: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: experiments)) ?? [])
            .filter { $0.hasSuffix(".yaml") }.sorted().map { experiments + "/" + $0 }
    }

    /// A fresh temporary directory holding a copy of `Fixtures/<name>`.
    static func copyOfFixtures(_ name: String) throws -> String {
        let directory = NSTemporaryDirectory() + "ablate-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let target = directory + "/" + name
        try FileManager.default.copyItem(atPath: fixtures + "/" + name, toPath: target)
        return target
    }
}
