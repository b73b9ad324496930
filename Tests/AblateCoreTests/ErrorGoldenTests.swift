import AblateCore
import AblateTestSupport
import Foundation
import Testing

/// Every class of spec error, checked against the exact messages a user sees.
@Suite struct ErrorGoldenTests {
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: Paths.fixtures + "/errors")) ?? [])
        .filter { $0.hasSuffix(".yaml") && !$0.contains("-parent") }
        .map { String($0.dropLast(5)) }
        .sorted()

    @Test func everyErrorClassHasACase() {
        #expect(Self.cases.count >= 19)
    }

    @Test(arguments: cases)
    func diagnostics(_ name: String) throws {
        let directory = try Paths.copyOfFixtures("errors")
        let outcome = StudyCompiler().compile(path: directory + "/\(name).yaml")
        #expect(outcome.plan == nil, "an invalid spec must not produce a plan")
        #expect(outcome.diagnostics.hasErrors)
        let text = outcome.diagnostics.sorted.map(\.description).joined(separator: "\n") + "\n"
        Snapshot.assertMatches(
            text.replacingOccurrences(of: directory, with: "$FIXTURES"),
            named: "errors/\(name).txt", in: Paths.snapshots)
    }
}
