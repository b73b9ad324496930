import Foundation

/// The last line a task printed, read from the end of its log: what the live view shows beside
/// a running task, and the cause a failed task's reason quotes. Progress bars redraw with
/// carriage returns, so the text after the last one counts; terminal escape sequences are dropped.
public enum LastLine {
    public static func of(file path: String, window: Int = 4096) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd(), size > 0 else { return nil }
        try? handle.seek(toOffset: size > UInt64(window) ? size - UInt64(window) : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        return last(in: String(decoding: data, as: UTF8.self))
    }

    public static func last(in text: String) -> String? {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { clean(String($0)) }
        return lines.last { !$0.isEmpty }
    }

    private static func clean(_ line: String) -> String {
        line.replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
            .trimmingCharacters(in: .whitespaces)
    }
}
