import AblateStore
import Foundation

/// `report.cache` in a run directory: what `ablate report` last read from the run's index, in
/// a compact binary form, reused while the index files keep their size and modification time.
/// Reading a hundred indexes through SQLite takes over a second; reading their caches, a tenth
/// of that. It is derived data: a cache that is stale, damaged or from another version is
/// ignored and rewritten, and one that cannot be written (a read-only run) is simply not kept.
enum RunResultsCache {
    private static let magic = Array("ablate-report-cache-2\n".utf8)

    /// Sizes and modification times of the index and its write-ahead log. An empty log is no
    /// log at all: opening the index to read it creates one.
    struct Stamp: Equatable {
        var values: [Int64]

        init(runDirectory: String) {
            let layout = RunLayout(runDirectory: runDirectory)
            values = [layout.index, layout.indexWriteAheadLog].flatMap { path -> [Int64] in
                var info = stat()
                guard stat(path, &info) == 0, info.st_size > 0 else { return [0, 0, 0] }
                return [Int64(info.st_size), Int64(info.st_mtim.tv_sec), Int64(info.st_mtim.tv_nsec)]
            }
        }

        init(values: [Int64]) { self.values = values }
    }

    static func read(runDirectory: String, stamp: Stamp) -> RunResults? {
        guard let data = FileManager.default.contents(atPath: RunLayout(runDirectory: runDirectory).reportCache) else { return nil }
        return data.withUnsafeBytes { bytes -> RunResults? in
            var reader = ByteReader(bytes: bytes)
            guard reader.bytes(magic.count).elementsEqual(magic), (0..<6).map({ _ in reader.int() }) == stamp.values else { return nil }
            let results = decode(&reader)
            return reader.atEnd && !reader.failed ? results : nil
        }
    }

    static func write(_ results: RunResults, runDirectory: String, stamp: Stamp) {
        var writer = ByteWriter()
        writer.bytes += magic
        for value in stamp.values { writer.int(value) }
        encode(results, &writer)
        let path = RunLayout(runDirectory: runDirectory).reportCache
        let temporary = path + ".\(getpid()).\(UUID().uuidString).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(writer.bytes)) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
    }

    private static func encode(_ results: RunResults, _ writer: inout ByteWriter) {
        writer.string(String(decoding: (try? JSONEncoder().encode(results.run)) ?? Data(), as: UTF8.self))
        writer.int(results.variants.count)
        for variant in results.variants {
            writer.strings(variant.runId, variant.name, variant.axisValues)
            writer.int(variant.position)
        }
        writer.int(results.stageTasks.count)
        for (variant, stages) in results.stageTasks {
            writer.string(variant)
            writer.int(stages.count)
            for (stage, task) in stages { writer.strings(stage, task) }
        }
        writer.int(results.tasks.count)
        for (task, info) in results.tasks { writer.strings(task, info.stage, info.state.rawValue) }
        writer.int(results.keys.count)
        for key in results.keys { writer.string(key) }
        writer.int(results.entries.count)
        for entry in results.entries {
            writer.int(Int(entry.position))
            writer.int(Int(entry.key))
            writer.double(entry.value)
            writer.double(entry.stderr)
        }
        writer.int(results.items.count)
        for (position, byKey) in results.items {
            writer.int(Int(position))
            writer.int(byKey.count)
            for (key, values) in byKey {
                writer.int(Int(key))
                writer.int(values.count)
                for value in values { writer.double(value) }
            }
        }
        writer.int(results.params.count)
        for (task, params) in results.params {
            writer.string(task)
            writer.int(params.count)
            for (name, value) in params { writer.strings(name, value) }
        }
        writer.int(results.costs.count)
        for (task, cost) in results.costs {
            writer.string(task)
            writer.int(cost.attempts)
            writer.int(cost.unsuccessfulAttempts)
            writer.double(cost.seconds)
            writer.double(cost.gpuSeconds)
        }
    }

    private static func decode(_ reader: inout ByteReader) -> RunResults? {
        guard let run = try? JSONDecoder().decode(RunRow.self, from: Data(reader.string().utf8)) else { return nil }
        var variants: [VariantRow] = []
        for _ in 0..<reader.count() {
            let (runID, name, axisValues) = (reader.string(), reader.string(), reader.string())
            variants.append(VariantRow(runId: runID, name: name, position: Int(reader.int()), axisValues: axisValues))
        }
        var stageTasks: [String: [String: String]] = [:]
        for _ in 0..<reader.count() {
            let variant = reader.string()
            var stages: [String: String] = [:]
            for _ in 0..<reader.count() {
                let stage = reader.string()
                stages[stage] = reader.string()
            }
            stageTasks[variant] = stages
        }
        var tasks: [String: (stage: String, state: TaskRecord.State)] = [:]
        for _ in 0..<reader.count() {
            let (task, stage, state) = (reader.string(), reader.string(), reader.string())
            // A state no ablate writes: the cache is damaged, and the index is read instead.
            guard let known = TaskRecord.State(rawValue: state) else { return nil }
            tasks[task] = (stage, known)
        }
        let keys = (0..<reader.count()).map { _ in reader.string() }
        let entries = (0..<reader.count()).map { _ in
            RunResults.Entry(position: reader.int32(), key: reader.int32(), value: reader.double(), stderr: reader.double())
        }
        var items: [Int32: [Int32: [Double]]] = [:]
        for _ in 0..<reader.count() {
            let position = reader.int32()
            var byKey: [Int32: [Double]] = [:]
            for _ in 0..<reader.count() {
                let key = reader.int32()
                byKey[key] = (0..<reader.count()).map { _ in reader.double() }
            }
            items[position] = byKey
        }
        var params: [String: [String: String]] = [:]
        for _ in 0..<reader.count() {
            let task = reader.string()
            var values: [String: String] = [:]
            for _ in 0..<reader.count() {
                let name = reader.string()
                values[name] = reader.string()
            }
            params[task] = values
        }
        var costs: [String: RunResults.TaskCost] = [:]
        for _ in 0..<reader.count() {
            let task = reader.string()
            costs[task] = RunResults.TaskCost(
                attempts: Int(reader.int()), unsuccessfulAttempts: Int(reader.int()), seconds: reader.double(), gpuSeconds: reader.double())
        }
        return RunResults(
            run: run, variants: variants, stageTasks: stageTasks, tasks: tasks, keys: keys, entries: entries, items: items, params: params, series: [:],
            costs: costs)
    }
}

/// Appends numbers and strings as bytes (little-endian, strings with their length first).
private struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func int(_ value: Int) { int(Int64(value)) }

    mutating func int(_ value: Int64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }

    mutating func double(_ value: Double) { int(Int64(bitPattern: value.bitPattern)) }

    mutating func string(_ text: String) {
        int(text.utf8.count)
        bytes += text.utf8
    }

    mutating func strings(_ texts: String...) { for text in texts { string(text) } }
}

/// Reads what `ByteWriter` wrote. Reading past the end, or a count or length that cannot be
/// right, sets `failed` and yields zeros, so that a damaged file is noticed, not trusted.
private struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private var offset = 0
    private(set) var failed = false

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var atEnd: Bool { offset == bytes.count }

    mutating func bytes(_ count: Int) -> UnsafeRawBufferPointer.SubSequence {
        guard count >= 0, count <= bytes.count - offset else {
            failed = true
            return bytes[0..<0]
        }
        defer { offset += count }
        return bytes[offset..<(offset + count)]
    }

    mutating func int() -> Int64 {
        let slice = bytes(8)
        guard slice.count == 8 else { return 0 }
        return Int64(littleEndian: slice.loadUnaligned(as: Int64.self))
    }

    mutating func int32() -> Int32 { Int32(truncatingIfNeeded: int()) }

    /// A count of things that follow: never more than the bytes left could hold.
    mutating func count() -> Int {
        let value = int()
        guard value >= 0, value <= bytes.count - offset else {
            failed = true
            return 0
        }
        return Int(value)
    }

    mutating func double() -> Double { Double(bitPattern: UInt64(bitPattern: int())) }

    mutating func string() -> String { String(decoding: bytes(count()), as: UTF8.self) }
}
