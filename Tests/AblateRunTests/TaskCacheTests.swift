import AblateCore
import AblateStore
import AblateTestSupport
import Foundation
import Testing

/// The cache's store survives being cut short: a store that moved the outputs but died before
/// writing the entry is completed by the next one (the attempt an ablate adopts after a crash),
/// instead of failing with "file exists" on every later attempt.
struct TaskCacheTests {
    let directory = Scratch.path("cache")
    let fingerprint: Fingerprint
    let origin = CacheOrigin(run: "run", task: "task", study: "study")

    init() throws {
        fingerprint = try JSONDecoder().decode(Fingerprint.self, from: Data(#"{"value": "\#(String(repeating: "ab", count: 32))", "keys": {}}"#.utf8))
    }

    private func outputs(_ name: String, holding text: String) throws -> String {
        let path = directory + "/" + name
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try text.write(toFile: path + "/result", atomically: true, encoding: .utf8)
        return path
    }

    @Test func aStoreCutShortAfterTheMoveIsCompletedByTheNextStore() throws {
        let cache = TaskCache(directory: directory + "/cache")
        let task = try outputs("task-outputs", holding: "42")
        try cache.store(outputsAt: task, fingerprint: fingerprint, origin: origin, metrics: MetricsRecord())
        // As if ablate died after the move: the entry is gone, the task's outputs link to the cache.
        try FileManager.default.removeItem(atPath: cache.entryDirectory(fingerprint) + "/entry.json")
        #expect(cache.entry(for: fingerprint) == nil)
        try cache.store(outputsAt: task, fingerprint: fingerprint, origin: origin, metrics: MetricsRecord())
        #expect(cache.entry(for: fingerprint) != nil)
        #expect(try String(contentsOfFile: cache.outputs(fingerprint) + "/result", encoding: .utf8) == "42")
        #expect(try String(contentsOfFile: task + "/result", encoding: .utf8) == "42")
    }

    @Test func aDanglingLeftoverInTheCacheIsReplaced() throws {
        let cache = TaskCache(directory: directory + "/cache")
        try FileManager.default.createDirectory(atPath: cache.entryDirectory(fingerprint), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: cache.outputs(fingerprint), withDestinationPath: directory + "/gone")
        let task = try outputs("again", holding: "7")
        try cache.store(outputsAt: task, fingerprint: fingerprint, origin: origin, metrics: MetricsRecord())
        #expect(try String(contentsOfFile: cache.outputs(fingerprint) + "/result", encoding: .utf8) == "7")
    }
}
