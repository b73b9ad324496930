import AblateStore
import Foundation

extension RunResults {
    /// Reads several runs' indexes at once, one per core, in the order given: each index is
    /// a separate SQLite file, so a report over a hundred runs need not read them one by one.
    public static func load(runDirectories: [String], series: Bool = false) throws -> [RunResults] {
        let lock = NSLock()
        nonisolated(unsafe) var loaded = [Result<RunResults, any Error>?](repeating: nil, count: runDirectories.count)
        DispatchQueue.concurrentPerform(iterations: runDirectories.count) { index in
            let result = Result { try RunResults.load(runDirectory: runDirectories[index], series: series) }
            lock.withLock { loaded[index] = result }
        }
        return try loaded.compactMap { try $0?.get() }
    }
}
