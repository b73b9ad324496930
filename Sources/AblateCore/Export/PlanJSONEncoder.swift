import Foundation
import Synchronization

/// The plan as JSON: `ablate plan --format json` and each run's `plan.json`.
///
/// Large sweeps have tens of thousands of tasks, and a JSON encoder holds the whole document
/// as a tree before it writes a byte; so the plan is written one variant and one task at a
/// time, each on a line of its own (which also keeps diffs of plans readable), in chunks that
/// the cores encode side by side and that go to the output in order as they are done, so that
/// the whole document is never held at once. Keys are sorted, so the same plan always gives
/// the same bytes. Tasks and variants write themselves (`JSONTextWritable`), exactly as
/// `JSONEncoder` would and at a fraction of its cost; the short head of the document goes
/// through `JSONEncoder`.
public enum PlanJSON {
    /// Items encoded in one piece of work.
    static let chunkSize = 256

    /// `memory`: the GPU memory estimates of the tasks that have one, by task id (left out when none).
    public static func encode(_ plan: Plan, memory: [String: MemoryEstimate] = [:]) throws -> Data {
        var data = Data()
        try write(plan, memory: memory) { data.append($0) }
        return data
    }

    /// Hands the document to `output` piece by piece, in order.
    public static func write(_ plan: Plan, memory: [String: MemoryEstimate] = [:], to output: (Data) throws -> Void) throws {
        let encoder = makeEncoder()
        func text(_ text: String) throws { try output(Data(text.utf8)) }
        func field(_ name: String, _ value: some Encodable) throws {
            try text("\"\(name)\":")
            try output(try encoder.encode(value))
            try text(",\n")
        }
        try text("{\n")
        try field("axes", plan.axes)
        try field("counts", plan.counts)
        try field("formatVersion", plan.formatVersion)
        if !memory.isEmpty { try field("memory", memory) }
        try field("specFile", plan.specFile)
        try field("study", plan.study)
        try list("tasks", plan.tasks, to: output)
        try text(",\n")
        try list("variants", plan.variants, to: output)
        try text("\n}\n")
    }

    private static func makeEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    /// `"name":[` and the items, one per line; the chunks of each round are encoded at once,
    /// one per core, then written in order.
    private static func list<Item: JSONTextWritable & Sendable>(_ name: String, _ items: [Item], to output: (Data) throws -> Void) throws {
        try output(Data("\"\(name)\":[".utf8))
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunks = stride(from: 0, to: items.count, by: chunkSize).map { $0..<min($0 + chunkSize, items.count) }
        for round in stride(from: 0, to: chunks.count, by: cores) {
            let batch = Array(chunks[round..<min(round + cores, chunks.count)])
            let encoded = Mutex<[Result<Data, any Error>?]>(Array(repeating: nil, count: batch.count))
            DispatchQueue.concurrentPerform(iterations: batch.count) { index in
                let result = Result { () throws -> Data in
                    var json = JSONText()
                    for position in batch[index] {
                        position == 0 ? json.raw("\n") : json.raw(",\n")
                        try items[position].write(to: &json)
                    }
                    return Data(json.bytes)
                }
                encoded.withLock { $0[index] = result }
            }
            for result in encoded.withLock({ $0 }) {
                if let result { try output(try result.get()) }
            }
        }
        try output(Data((items.isEmpty ? "]" : "\n]").utf8))
    }
}
