import Crypto
import Foundation

/// SHA-256 helpers for fingerprints and local file content.
public enum Digest {
    public static func sha256Hex(of bytes: some Sequence<UInt8>) -> String {
        var hasher = SHA256()
        hasher.update(data: Array(bytes))
        return hex(hasher.finalize())
    }

    /// Lowercase hexadecimal digits by value, as ASCII bytes (also what JSON escapes are written with).
    static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends the digest's bytes as lowercase hex digits.
    static func appendHex(of digest: SHA256.Digest, to bytes: inout [UInt8]) {
        digest.withUnsafeBytes { raw in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 * SHA256.byteCount) { text in
                for (offset, byte) in raw.enumerated() {
                    text[2 * offset] = hexDigits[Int(byte >> 4)]
                    text[2 * offset + 1] = hexDigits[Int(byte & 0x0F)]
                }
                bytes.append(contentsOf: text)
            }
        }
    }

    static func hex(_ digest: SHA256.Digest) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(2 * SHA256.byteCount)
        appendHex(of: digest, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hashes a file's bytes, or a directory's relative file names and their bytes in sorted
    /// order, so that a renamed or edited file changes the digest.
    static func contentDigest(ofPath path: String) throws -> String {
        var hasher = SHA256()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        if isDirectory.boolValue {
            let files = try FileManager.default.subpathsOfDirectory(atPath: path).sorted()
            for relative in files where !isIgnored(relative) {
                let full = (path as NSString).appendingPathComponent(relative)
                var childIsDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &childIsDirectory),
                    !childIsDirectory.boolValue
                else { continue }
                hasher.update(data: Array("\(relative)\0".utf8))
                try hashFile(full, into: &hasher)
            }
        } else {
            try hashFile(path, into: &hasher)
        }
        return hex(hasher.finalize())
    }

    /// Hidden files and folders (`.git`, `.pytest_cache`) and Python's byte-code caches are
    /// not content: running a tool in a folder must not change its digest.
    private static func isIgnored(_ relative: String) -> Bool {
        relative.split(separator: "/").contains { $0.hasPrefix(".") || $0 == "__pycache__" }
    }

    private static func hashFile(_ path: String, into hasher: inout SHA256) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
    }
}

extension String {
    public func leftPadded(to width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }

    /// The text followed by spaces up to `width` characters (a column of a table or a progress
    /// line), without Foundation's `padding(toLength:)`.
    public func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
