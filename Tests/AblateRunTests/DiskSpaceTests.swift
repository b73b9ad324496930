import AblateRun
import AblateStore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A task does not start on a nearly full filesystem: it waits, saying how much it needs (from
/// what its stage wrote before) and how much is free, and starts once there is room. The run
/// directory is on a small tmpfs, which needs root to mount.
@Suite(.enabled(if: getuid() == 0)) struct DiskSpaceTests {
    /// Collects what the run says.
    final class Warnings: RunObserver, @unchecked Sendable {
        private let lock = NSLock()
        private var said: [String] = []
        func warning(_ message: String) { lock.withLock { said.append(message) } }
        var all: [String] { lock.withLock { said } }
    }

    @Test func aTaskWaitsForRoomOnANearlyFullFilesystemAndStartsWhenThereIsSome() async throws {
        let harness = try Harness(
            """
            ablate: 1
            name: space
            sweep:
              grid:
                i: [1, 2, 3]
            stages:
              blob: {kind: command, run: "head -c 15000000 /dev/zero > ${outputs.output}/blob${sweep.i}"}
            """)
        try FileManager.default.createDirectory(atPath: harness.runsDirectory, withIntermediateDirectories: true)
        #expect(mount("tmpfs", harness.runsDirectory, "tmpfs", 0, "size=64m") == 0, "mount a 64 MB tmpfs: \(String(cString: strerror(errno)))")
        // Detached, so that it goes once nothing has a file on it open: a plain umount left the
        // tmpfs mounted (busy) when the whole suite ran.
        defer { umount2(harness.runsDirectory, Int32(MNT_DETACH)) }
        // 25 MB of other files: after two blobs of 15 MB, 12 MB are left, too few for a third.
        let filler = harness.runsDirectory + "/filler"
        try Data(count: 25_000_000).write(to: URL(fileURLWithPath: filler))

        var options = harness.options(jobs: 1, cpus: 1)
        options.diskSpacePollInterval = 0.1
        let warnings = Warnings()
        let session = try await RunSession.start(specPath: harness.specPath, options: options, observer: warnings)
        let run = Task { try await session.execute() }
        let waiting = { warnings.all.contains { $0.contains("waiting for disk space") } }
        for _ in 0..<300 where !waiting() { try await Task.sleep(for: .milliseconds(100)) }
        let message = try #require(warnings.all.first { $0.contains("waiting for disk space") })
        #expect(message.hasPrefix("blob[i=3]: waiting for disk space: it needs about 16 MB (the size of blob[i="), "\(message)")
        #expect(message.contains("'s outputs), and ") && message.contains(" are free where its outputs go"), "\(message)")
        try await Task.sleep(for: .milliseconds(500))
        #expect(session.state("blob[i=3]") == .pending, "it does not start meanwhile")

        try FileManager.default.removeItem(atPath: filler)
        #expect(try await run.value == .completed)
        #expect(warnings.all.contains("blob[i=3]: there is room on the disk now: starting"), "\(warnings.all)")
        #expect(session.state("blob[i=3]") == .completed)
    }
}
