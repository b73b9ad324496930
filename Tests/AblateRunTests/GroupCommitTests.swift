import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// A group commit's background flusher makes what was noted durable without a caller asking,
/// and stops when told.
struct GroupCommitTests {
    let directory = Scratch.path("commit")

    /// Waits up to five seconds for `condition`; true once it holds.
    private func eventually(_ condition: () -> Bool) async -> Bool {
        for _ in 0..<500 {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test func aBackgroundFlusherFlushesWhatWasNotedUntilItStops() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let commits = GroupCommit(directories: [directory])
        commits.note()
        #expect(commits.hasUnflushedWrites)
        let flusher = commits.flushingInBackground(every: .milliseconds(20))
        #expect(await eventually { !commits.hasUnflushedWrites }, "nothing flushed what was noted")
        commits.note()
        #expect(await eventually { !commits.hasUnflushedWrites }, "a write noted later was not flushed")

        flusher.stop()
        commits.note()
        try await Task.sleep(for: .milliseconds(200))
        #expect(commits.hasUnflushedWrites, "a stopped flusher went on flushing")
        flusher.stop()
        commits.flush()
        #expect(!commits.hasUnflushedWrites)
    }

    @Test func aFlusherThatIsDroppedStops() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let commits = GroupCommit(directories: [directory])
        do {
            _ = commits.flushingInBackground(every: .milliseconds(20))
        }
        commits.note()
        try await Task.sleep(for: .milliseconds(200))
        #expect(commits.hasUnflushedWrites, "the thread of a flusher nobody holds went on flushing")
    }
}
