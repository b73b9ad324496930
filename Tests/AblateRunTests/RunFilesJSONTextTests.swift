import AblateCore
import Foundation
import Testing

@testable import AblateRun
@testable import AblateStore

/// The files a run writes for every task (`status.json`, `command.json`, `metrics.json`, the
/// cache's `entry.json`, the journal's lines) are written without `JSONEncoder`; each must be
/// byte for byte what `JSONCoding.lineEncoder` writes, so that a member added to a record and
/// not to its writer fails here.
@Suite struct RunFilesJSONTextTests {
    /// Quotes, backslashes, slashes, control characters, and text beyond ASCII.
    static let awkward = "a \"quoted\" \\ back/slash\ttab\nline \u{01}\u{1f}\u{7f} é 日本 \u{2028} 🙂"

    private static func expectSameBytes<Record: Encodable & JSONTextWritable>(
        _ record: Record, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) throws {
        var json = JSONText()
        try record.write(to: &json)
        let expected = try JSONCoding.lineEncoder.encode(record)
        #expect(String(decoding: json.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self), sourceLocation: sourceLocation)
    }

    private static func decoded<Record: Decodable>(_ type: Record.Type, _ text: String) throws -> Record {
        try JSONCoding.decoder.decode(type, from: Data(text.utf8))
    }

    private static let fingerprint =
        #"{"keys":{"command":"d1d702e3f6a8dd3f","environment":"e3822bc50e075e3e","files":"e3b0c44298fc1c14","inputs":"e3b0c44298fc1c14","kind":"a4e5d5d227d07da3","settings":"1e0177baf625e539"},"value":"c33238ebc64116a9c893288c633796cad79df6f6fca1572c30b96527bb8f6adf"}"#

    @Test func aTaskRecordWithEveryMemberAndOneWithNone() throws {
        let full = try Self.decoded(
            TaskRecord.self,
            """
            {"attempts": [
               {"number": 1, "startedAt": "2026-12-06T18:22:10.288Z", "endedAt": "2026-12-06T18:22:11.001Z", "state": "failed",
                "pid": 26852, "exitRecord": "/runs/r/tasks/t/exit-1.json", "exitCode": 1, "signal": 9, "timedOut": true, "gpus": 2},
               {"number": 2, "startedAt": "2026-12-06T18:23:00.000Z", "state": "running", "jobID": "4711", "timedOut": false}],
             "cachedFrom": {"run": "r0", "task": "t", "study": "s"},
             "fingerprint": \(Self.fingerprint),
             "id": "sft[lr=1e-05]", "kind": "sft", "stage": "sft", "state": "failed", "reason": \(try Self.quoted(Self.awkward)),
             "outputs": {"model": "/cache/x/outputs/model", "b": "/b"},
             "settings": {"learning_rate": 1e-05, "epochs": 3, "whole": 100.0, "packing": false, "name": \(try Self.quoted(Self.awkward)),
                          "targets": ["q_proj", 8, 0.5], "lora": {"r": 8, "alpha": 16, "nested": {"x": [true]}}},
             "variants": ["lr=1e-05", \(try Self.quoted(Self.awkward))]}
            """)
        try Self.expectSameBytes(full)
        let bare = try Self.decoded(
            TaskRecord.self,
            #"{"attempts": [], "fingerprint": \#(Self.fingerprint), "id": "t", "kind": "command", "stage": "t", "state": "pending", "outputs": {}, "settings": {}, "variants": []}"#
        )
        try Self.expectSameBytes(bare)
    }

    @Test func aCacheEntryAndMetricsOfEveryShape() throws {
        let metrics = MetricsRecord(
            scalars: ["acc": .init(value: 0.25, stderr: 0.01), "loss": .init(value: 2), "missing": .init(value: nil), Self.awkward: .init(value: -1e-300)],
            series: ["loss": [.init(step: 0, value: 3.5), .init(step: 10, value: nil), .init(step: 20, value: 1e21)]],
            items: ["reward": [0.5, -2, 1e-7], "empty": []])
        try Self.expectSameBytes(metrics)
        try Self.expectSameBytes(MetricsRecord())
        let entry = TaskCache.Entry(
            fingerprint: "c33238eb", origin: CacheOrigin(run: "r", task: Self.awkward, study: "s"),
            completedAt: Date(timeIntervalSince1970: 1_796_581_433.929), metrics: metrics)
        try Self.expectSameBytes(entry)
        var json = JSONText()
        #expect(throws: EncodingError.self) { try MetricsRecord(scalars: ["x": .init(value: .nan)]).write(to: &json) }
    }

    @Test func journalLinesOfEveryShape() throws {
        let time = Date(timeIntervalSince1970: 1_796_581_433.5)
        let events = [
            RunEvent(.runStarted, time: time),
            RunEvent(.taskStarted, task: "t", attempt: 1, time: time),
            RunEvent(.taskFinished, task: Self.awkward, attempt: 2, state: .failed, exitCode: -1, message: Self.awkward, time: time),
            RunEvent(.runFinished, runState: .interrupted, message: "stopped", time: time),
        ]
        for event in events { try Self.expectSameBytes(event) }
    }

    @Test func aCommandRecord() throws {
        let record = try Self.decoded(
            CommandRecord.self,
            """
            {"arguments": ["python3", "-c", \(try Self.quoted(Self.awkward))], "workingDirectory": "/runs/r/tasks/t",
             "environment": {"HF_TOKEN": "<redacted>", "PATH": "/usr/bin:/bin", "Z": \(try Self.quoted(Self.awkward))},
             "fingerprint": "7e26552d0be0dd01f7d34e7c8a674d46a2b55c4e54346bda5b75773f19c6eba4"}
            """)
        try Self.expectSameBytes(record)
        var older = record
        older.fingerprint = nil
        try Self.expectSameBytes(older)
    }

    /// `text` as a JSON string literal.
    private static func quoted(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }
}
