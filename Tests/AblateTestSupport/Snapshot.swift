import Foundation
import Testing

/// Golden files: compares text with a file in a snapshot directory; `RECORD_SNAPSHOTS=1`
/// rewrites it.
public enum Snapshot {
    public static func assertMatches(
        _ actual: String, named name: String, in directory: String, sourceLocation: Testing.SourceLocation = #_sourceLocation
    ) {
        let path = directory + "/" + name
        let recording = ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1"
        let expected = try? String(contentsOfFile: path, encoding: .utf8)
        if recording || expected == nil {
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        if recording { return }
        #expect(expected != nil, "no snapshot at \(path) yet: it was recorded now; check it in", sourceLocation: sourceLocation)
        if let expected {
            #expect(
                actual == expected, "output differs from \(path); re-record with RECORD_SNAPSHOTS=1 if the change is intended",
                sourceLocation: sourceLocation)
        }
    }
}

/// Whether processes are still running.
public enum Processes {
    /// A zombie (ended, not yet reaped by its new parent) does not count as alive.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else {
            return false
        }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    /// SIGKILLs every process of the session `leader` leads: a local task's supervisor and the
    /// task under it, as a machine failure would end them.
    public static func killSession(_ leader: Int32) {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for pid in processes.compactMap(Int32.init) {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 3, Int32(fields[3]) == leader { kill(pid, SIGKILL) }
        }
    }
}

/// Polling for something another process does.
public enum Waiting {
    /// Checks `condition` every 50 ms until it holds or `timeout` seconds pass; says whether it held.
    /// It sleeps without holding a thread of the test runner.
    public static func until(timeout: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }
}
