import AblateCore
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes that survive a crash at any moment: a temporary file, fsync, rename, fsync of the
/// directory. Readers see the old content or the new, never a torn file.
public enum AtomicFile {
    /// How much of a write must be on disk before it returns.
    public enum Durability: Sendable {
        /// Renamed into place, left to the kernel to flush: for files that can be derived
        /// again (a task's command record, its metrics), where a crash at worst loses them.
        case deferred
        /// The file's content is flushed before the rename: state that must survive a crash.
        case file
        /// The file and its directory entry are flushed: a new file others will rely on.
        case fileAndDirectory
    }

    public static func write(_ data: Data, to path: String, durability: Durability = .fileAndDirectory) throws {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let name = slash.map { path[path.index(after: $0)...] } ?? path[...]
        let temporary = "\(directory)/.\(name).\(processID).\(writes.add(1, ordering: .relaxed).oldValue).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileError.system("cannot create \(temporary)", errno) }
        var ok = true
        data.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    return
                }
                offset += written
            }
        }
        let synced = durability == .deferred || fsync(descriptor) == 0
        close(descriptor)
        guard ok, synced, rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileError.system("cannot write \(path)", code)
        }
        if durability == .fileAndDirectory { syncDirectory(directory) }
    }

    /// This process's id and a count of its writes name each temporary file: unique among the
    /// processes writing the run, with no system call for either.
    private static let processID = getpid()
    private static let writes = Atomic<Int>(0)

    /// Makes a rename or a new file in `directory` durable.
    public static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Indented: for the files written once for a run or a cache entry (`run.json`, `released.json`).
    public static func writeJSON(_ value: some Encodable, to path: String, durability: Durability = .fileAndDirectory) throws {
        try write(try JSONCoding.encoder.encode(value), to: path, durability: durability)
    }

    /// Writes `value` on one line through its own JSON writer: the bytes `JSONCoding.lineEncoder`
    /// writes, at a fraction of the cost, for the files a run writes for every task (its record,
    /// command, metrics, cache entry), thousands of them in a large sweep.
    package static func writeJSONLine(_ value: some JSONTextWritable, to path: String, durability: Durability = .fileAndDirectory) throws {
        var json = JSONText(reservingCapacity: 1024)
        try value.write(to: &json)
        try write(Data(json.bytes), to: path, durability: durability)
    }

    /// Flushes every deferred write: one call that makes a batch of them durable.
    public static func flushDeferredWrites() {
        sync()
    }

    public static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String) throws -> Value {
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError.missing(path) }
        return try JSONCoding.decoder.decode(type, from: data)
    }
}

/// The JSON form of every file in a run directory: sorted keys, dates as ISO 8601 with
/// milliseconds.
public enum JSONCoding {
    /// Made once: an encoder holds no state between calls, and making one per file was a
    /// measurable part of a run's bookkeeping.
    public static let encoder = makeEncoder(pretty: true)

    public static let lineEncoder = makeEncoder(pretty: false)

    private static func makeEncoder(pretty: Bool) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a timestamp: \(text)"))
            }
            return date
        }
        return decoder
    }
}

/// Times in run files: UTC, millisecond precision, so that a time read back from a file is
/// exactly the time that was written.
public enum Timestamp {
    public static func now() -> Date {
        Date(timeIntervalSince1970: (Date().timeIntervalSince1970 * 1000).rounded() / 1000)
    }

    /// `2026-11-23T18:00:00.123Z`, written by hand: run files hold many timestamps, and a
    /// date formatter per value was the largest cost of writing them.
    public static func format(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String { String(value).leftPadded(to: width) }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(milliseconds % 1000), 3))Z"
    }

    static func parse(_ text: String) -> Date? {
        let fields = text.split(whereSeparator: { "-T:.Z".contains($0) }).compactMap { Int32($0) }
        guard fields.count == 7, text.hasSuffix("Z") else { return nil }
        var parts = tm()
        parts.tm_year = fields[0] - 1900
        parts.tm_mon = fields[1] - 1
        parts.tm_mday = fields[2]
        parts.tm_hour = fields[3]
        parts.tm_min = fields[4]
        parts.tm_sec = fields[5]
        let seconds = timegm(&parts)
        guard seconds != -1 || text.hasPrefix("1969-12-31T23:59:59") else { return nil }
        return Date(timeIntervalSince1970: Double(Int64(seconds) * 1000 + Int64(fields[6])) / 1000)
    }
}

/// A file system operation that failed.
public enum FileError: Error, CustomStringConvertible {
    case system(String, Int32)
    case missing(String)

    public var description: String {
        switch self {
        case .system(let what, let code): return "\(what): \(String(cString: strerror(code)))"
        case .missing(let path): return "\(path) does not exist"
        }
    }
}

/// Directory creation for paths whose parent exists: one `mkdir`, where Foundation's
/// intermediate-directory creation inspects every component of the path.
public enum Directories {
    /// Makes the directory unless it exists; true when it was made now (so that nothing can be
    /// in it yet).
    @discardableResult
    public static func make(_ path: String) throws -> Bool {
        if mkdir(path, 0o755) == 0 { return true }
        if errno == EEXIST { return false }
        if errno == ENOENT {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return true
        }
        throw FileError.system("cannot create \(path)", errno)
    }
}
