import Foundation

extension Array where Element: Sendable {
    /// `map` over chunks of `chunkSize` elements on every core, results in order: a hundred
    /// runs' table formats millions of cells, and a resume reads every task's record.
    public func parallelMap<Result: Sendable>(chunkSize: Int = 4096, _ transform: @Sendable (Element) -> Result) -> [Result] {
        guard count > chunkSize else { return map(transform) }
        let chunks = (count + chunkSize - 1) / chunkSize
        let lock = NSLock()
        nonisolated(unsafe) var parts = [[Result]](repeating: [], count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let part = self[(chunk * chunkSize)..<Swift.min(count, (chunk + 1) * chunkSize)].map(transform)
            lock.withLock { parts[chunk] = part }
        }
        return parts.flatMap { $0 }
    }
}
