import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// DiskUsage counts the regular files under a path, nested directories included, and follows
/// no link (a run's outputs link into the cache, which is counted where it is).
struct DiskUsageTests {
    let directory = Scratch.path("du")

    private func write(_ bytes: Int, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 7, count: bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func countsNestedFilesAndNoLinks() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tree = directory + "/tree"
        try write(1000, to: tree + "/a")
        try write(234, to: tree + "/nested/deeper/b")
        try write(5, to: tree + "/nested/.hidden")
        try FileManager.default.createDirectory(atPath: tree + "/empty", withIntermediateDirectories: true)
        try write(100_000, to: directory + "/outside/big")
        try FileManager.default.createSymbolicLink(atPath: tree + "/link-to-file", withDestinationPath: directory + "/outside/big")
        try FileManager.default.createSymbolicLink(atPath: tree + "/link-to-directory", withDestinationPath: directory + "/outside")
        #expect(DiskUsage.bytes(at: tree) == 1239)
        #expect(DiskUsage.bytes(at: tree + "/a") == 1000, "a regular file counts itself")
        #expect(DiskUsage.bytes(at: tree + "/link-to-directory") == 0, "a link given as the path is not followed either")
        #expect(DiskUsage.bytes(at: directory + "/missing") == 0)
        #expect(DiskUsage.bytes(at: directory) == 101_239)
    }
}
