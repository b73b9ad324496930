import Crypto

/// A task's identity: the SHA-256 of everything that decides what the task produces.
///
/// Two tasks with the same fingerprint compute the same thing, so they merge into one task and
/// share one cached result. The fingerprint is built from an explicit, ordered list of keys;
/// each key's own digest is kept so that a re-run can say which key changed.
public struct Fingerprint: Codable, Hashable, Sendable, CustomStringConvertible {
    /// Bumped whenever the encoding below changes, so that old cache entries stop matching
    /// instead of being misread.
    public static let formatVersion = 1

    /// The keys, in the order they are hashed.
    public enum Key: String, Codable, CodingKeyRepresentable, CaseIterable, Sendable {
        /// Which recipe runs: an SFT and a DPO task with equal settings differ.
        case kind
        /// The resolved settings that change the result (not resources or retries).
        case settings
        /// The exact command template: a new flag or a changed recipe changes the result.
        case command
        /// The software environment and the environment variables the task sets.
        case environment
        /// The fingerprints of the tasks it reads and the identity of registry inputs,
        /// so a change upstream reaches every dependant.
        case inputs
        /// The content of local files it reads: an edited dataset is a different input even
        /// at the same path.
        case files
    }

    /// The whole fingerprint as 64 hex digits.
    public var value: String
    /// Each key's own digest (16 hex digits), for explaining cache misses.
    public var keys: [Key: String] {
        var result: [Key: String] = [:]
        for (position, key) in Key.allCases.enumerated() { result[key] = String(keyDigest(at: position)) }
        return result
    }

    /// The digest of the key at `position` in hashing order.
    func keyDigest(at position: Int) -> Substring {
        let start = keyDigests.utf8.index(keyDigests.utf8.startIndex, offsetBy: position * 16)
        return Substring(keyDigests.utf8[start..<keyDigests.utf8.index(start, offsetBy: 16)])
    }

    /// The key digests concatenated in key order: one string per task keeps planning of large
    /// sweeps light.
    private var keyDigests: String

    /// `keyDigests`: each key's 16 hex digits, in key order.
    init(value: String, keyDigests: String) {
        self.value = value
        self.keyDigests = keyDigests
    }

    private enum CodingKeys: String, CodingKey {
        case value, keys
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        value = try container.decode(String.self, forKey: .value)
        let keys = try container.decode([Key: String].self, forKey: .keys)
        keyDigests = Key.allCases.map { (keys[$0] ?? "").leftPadded(to: 16) }.joined()
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(value, forKey: .value)
        try container.encode(keys, forKey: .keys)
    }

    public var description: String { value }

    /// The first 12 hex digits, for display.
    public var short: String { String(value.prefix(12)) }

    /// The keys whose digest differs from `other`'s, in hashing order.
    public func changedKeys(since other: Fingerprint) -> [Key] {
        Key.allCases.filter { keys[$0] != other.keys[$0] }
    }
}

/// Accumulates the keys of a fingerprint in their fixed order.
struct FingerprintBuilder {
    private var digests = [SHA256.Digest?](repeating: nil, count: Fingerprint.Key.allCases.count)

    mutating func add(_ key: Fingerprint.Key, _ encoding: CanonicalEncoding) {
        if let index = Fingerprint.Key.allCases.firstIndex(of: key) { digests[index] = encoding.digest() }
    }

    /// The SHA-256 of `key=<the key's digest in hex>` lines, in key order, after a header. The hex
    /// goes straight into the bytes hashed: a sweep has a hundred thousand tasks.
    func finish() -> Fingerprint {
        var whole: [UInt8] = Array("ablate-fingerprint-v\(Fingerprint.formatVersion)\n".utf8)
        var keyDigests: [UInt8] = []
        keyDigests.reserveCapacity(16 * digests.count)
        for (key, digest) in zip(Fingerprint.Key.allCases, digests) {
            whole.append(contentsOf: key.rawValue.utf8)
            whole.append(UInt8(ascii: "="))
            let hexStart = whole.count
            Digest.appendHex(of: digest ?? CanonicalEncoding().digest(), to: &whole)
            keyDigests.append(contentsOf: whole[hexStart..<(hexStart + 16)])
            whole.append(UInt8(ascii: "\n"))
        }
        return Fingerprint(value: whole.withUnsafeBytes { Digest.hex(SHA256.hash(data: $0)) }, keyDigests: String(decoding: keyDigests, as: UTF8.self))
    }
}

/// A deterministic encoding of plan values: maps sorted by key,
/// strings length-prefixed, so that no two different values encode alike and YAML key order
/// never matters.
struct CanonicalEncoding {
    /// Bytes are collected and hashed once: many tiny hash updates cost more than the copy.
    private var bytes: [UInt8] = []

    func digest() -> SHA256.Digest {
        bytes.withUnsafeBytes { SHA256.hash(data: $0) }
    }

    private mutating func raw(_ text: String) {
        // Through the contiguous bytes: appending the UTF-8 view walks it byte by byte.
        var text = text
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    private mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A whole number's decimal digits, as `String(value)` writes them, without making one.
    private mutating func number(_ value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: digits[start...])
        }
    }

    mutating func string(_ text: String) {
        raw("s")
        number(text.utf8.count)
        raw(":")
        raw(text)
    }

    /// The string `head + first + middle + second + tail`, without building it: plans encode
    /// one for every path an argument holds.
    private mutating func string(_ head: StaticString, _ first: String, _ middle: StaticString = "", _ second: String = "", tail: StaticString) {
        raw("s")
        number(head.utf8CodeUnitCount + first.utf8.count + middle.utf8CodeUnitCount + second.utf8.count + tail.utf8CodeUnitCount)
        raw(":")
        raw(head)
        raw(first)
        raw(middle)
        raw(second)
        raw(tail)
    }

    mutating func value(_ value: SettingValue) {
        switch value {
        case .string(let text): string(text)
        case .int(let int):
            raw("i")
            number(int)
            raw(";")
        case .double(let double):
            raw("d")
            raw(double.description)
            raw(";")
        case .bool(let bool): raw(bool ? "T" : "F")
        case .list(let items):
            raw("l")
            number(items.count)
            raw("[")
            for item in items { self.value(item) }
            raw("]")
        case .map(let entries):
            raw("m")
            number(entries.count)
            raw("{")
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                string(key)
                self.value(entry)
            }
            raw("}")
        }
    }

    mutating func argument(_ argument: CommandArgument, taskFingerprints: [String: Fingerprint], fileDigests: [String: String]) {
        raw("a")
        number(argument.parts.count)
        raw("[")
        for part in argument.parts {
            switch part {
            case .literal(let text): string(text)
            case .outputDirectory: string("{out}")
            // A dependency is identified by what it computes, not by its readable name.
            case .taskOutput(let task, let output): string("{task:", taskFingerprints[task]?.value ?? task, "/", output, tail: "}")
            // A local file is identified by its content, not by where the checkout lives.
            case .localPath(let path): string("{file:", fileDigests[path] ?? path, tail: "}")
            case .hubSnapshot(let repository): string("{hub:\(repository.description)}")
            }
        }
        raw("]")
    }
}
