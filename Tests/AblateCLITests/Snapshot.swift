import Foundation
import Testing

/// Golden files under `Snapshots/`; `RECORD_SNAPSHOTS=1` rewrites them.
enum Snapshot {
    static func assertMatches(_ actual: String, named name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let path = CLIRunner.snapshots + "/" + name
        let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
        let expected = try? String(contentsOfFile: path, encoding: .utf8)
        if recording || expected == nil {
            try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        if recording { return }
        #expect(expected != nil, "no snapshot at \(path) yet: it was recorded now; check it in", sourceLocation: sourceLocation)
        if let expected {
            #expect(
                actual == expected, "output differs from \(path); re-record with RECORD_SNAPSHOTS=1 if the change is intended", sourceLocation: sourceLocation)
        }
    }
}
