import AblateTestSupport
import Foundation
import Testing

@testable import AblateRun

/// The running marker that tells a resuming ablate that the fork server supervises a task: held,
/// it names the task's pid; not held, it names nothing; held before its pid is written (the
/// moment between the lock and the task's start), it is read until the pid is there.
@Suite struct RunningMarkerTests {
    let directory = Scratch.path("marker")

    /// A marker at `exit-1.json.running` holding `content`, locked the way the server locks it
    /// when `held` (another open file description of this process conflicts like another
    /// process's would); returns the record's path and the server's descriptor.
    func marker(_ content: String, held: Bool) throws -> (record: String, descriptor: Int32) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let record = directory + "/exit-1.json"
        let descriptor = open(record + RunningMarker.suffix, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        #expect(descriptor >= 0)
        if held { #expect(flock(descriptor, LOCK_EX | LOCK_NB) == 0) }
        _ = Array(content.utf8).withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return (record, descriptor)
    }

    @Test func aHeldMarkerNamesItsTaskAndOneNoServerHoldsNamesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let held = try marker("4242\n", held: true)
        #expect(RunningMarker.pid(recordingTo: held.record) == 4242)
        close(held.descriptor)
        #expect(RunningMarker.pid(recordingTo: held.record) == nil, "a server that is gone holds no lock")
        #expect(RunningMarker.pid(recordingTo: directory + "/exit-2.json") == nil)
    }

    @Test func aMarkerHeldBeforeItsPidIsWrittenIsReadUntilThePidIsThere() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try marker("", held: true)
        defer { close(server.descriptor) }
        // The server writes the pid a tenth of a second after it took the lock, on a thread of
        // its own, while this one reads.
        let descriptor = server.descriptor
        Thread.detachNewThread {
            usleep(100_000)
            _ = Array("5151\n".utf8).withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        }
        #expect(RunningMarker.pid(recordingTo: server.record) == 5151)
    }
}
