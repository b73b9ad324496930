import AblateCore
import AblateStore
import Foundation
import Testing

/// Run files written by earlier versions still read, and the journal's lines keep their shape.
@Suite struct RunFileFormatTests {
    private func runJSON(executor: String) -> Data {
        Data(
            """
            {"id": "r1", "study": "s", "specFile": "/s.yaml", "state": "interrupted", "createdAt": "2026-11-20T10:00:00.000Z",
             "pid": 12, "heartbeatAt": "2026-11-20T10:00:05.000Z", \(executor),
             "provenance": {"host": "h", "ablateVersion": "0.1.0", "toolVersions": {}, "environmentFingerprint": "e"}}
            """.utf8)
    }

    @Test func aRunRecordOfAnEarlierVersionKeepsItsExecutor() throws {
        let slurm = try JSONCoding.decoder.decode(
            RunRecord.self,
            from: runJSON(
                executor: #""executor": "slurm", "executorSettings": {"kind": "slurm", "partition": "gpu", "sbatchFlags": ["--exclusive"], "pollInterval": 2}"#)
        )
        #expect(slurm.executor == .slurm(SlurmOptions(partition: "gpu", sbatchFlags: ["--exclusive"], pollInterval: 2)))
        let local = try JSONCoding.decoder.decode(RunRecord.self, from: runJSON(executor: #""executor": "local""#))
        #expect(local.executor == .local)
        // Written again, it takes today's shape and reads back the same.
        let again = try JSONCoding.decoder.decode(RunRecord.self, from: JSONCoding.encoder.encode(slurm))
        #expect(again == slurm)
    }

    @Test func journalLinesKeepOneStateFieldForTasksAndRuns() throws {
        let task = try JSONSerialization.jsonObject(with: JSONCoding.lineEncoder.encode(RunEvent(.taskFinished, task: "t", state: .failed))) as? [String: Any]
        let run = try JSONSerialization.jsonObject(with: JSONCoding.lineEncoder.encode(RunEvent(.runFinished, runState: .interrupted))) as? [String: Any]
        #expect(task?["state"] as? String == "failed" && run?["state"] as? String == "interrupted")
        let decoded = try JSONCoding.decoder.decode(RunEvent.self, from: JSONCoding.lineEncoder.encode(RunEvent(.runFinished, runState: .completed)))
        #expect(decoded.runState == .completed && decoded.state == nil)
    }
}
