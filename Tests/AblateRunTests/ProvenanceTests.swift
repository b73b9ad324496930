import AblateRun
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A run records the commit of the git checkout that holds its spec, and whether the checkout
/// had changes; git is asked while the spec compiles.
struct ProvenanceTests {
    @discardableResult
    private func git(_ arguments: [String], in directory: String) throws -> String {
        let result = try capturedOutput(
            of: ["/usr/bin/env", "git", "-C", directory, "-c", "user.name=ablate", "-c", "user.email=ablate@example.org"] + arguments)
        #expect(result.status == 0, "git \(arguments.joined(separator: " ")) failed")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func aRunRecordsItsSpecsCommitAndWhetherTheCheckoutHadChanges() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: provenance
            stages:
              only: {kind: command, command: ["true"]}
            """)
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        try "Runs/\nscratch/\n".write(toFile: harness.directory + "/.gitignore", atomically: true, encoding: .utf8)
        try git(["init", "-q"], in: harness.directory)
        try git(["add", "study.yaml", ".gitignore"], in: harness.directory)
        try git(["commit", "-q", "-m", "the study"], in: harness.directory)
        let head = try git(["rev-parse", "HEAD"], in: harness.directory)

        let (clean, cleanState) = try await harness.run()
        #expect(cleanState == .completed)
        #expect(clean.runRecord.provenance.gitCommit == head)
        #expect(clean.runRecord.provenance.gitDirty == false)

        let edited = try String(contentsOfFile: harness.specPath, encoding: .utf8) + "# an edit\n"
        try edited.write(toFile: harness.specPath, atomically: true, encoding: .utf8)
        let (dirty, _) = try await harness.run()
        #expect(dirty.runRecord.provenance.gitCommit == head)
        #expect(dirty.runRecord.provenance.gitDirty == true)
        let onDisk = try dirty.layout.readRunRecord()
        #expect(onDisk.provenance.gitDirty == true, "run.json says what the session recorded")
    }

    @Test func aSpecOutsideACheckoutRecordsNoCommit() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: no-checkout
            stages:
              only: {kind: command, command: ["true"]}
            """)
        defer { try? FileManager.default.removeItem(atPath: harness.directory) }
        let (session, state) = try await harness.run()
        #expect(state == .completed)
        #expect(session.runRecord.provenance.gitCommit == nil)
        #expect(session.runRecord.provenance.gitDirty == nil)
    }
}
