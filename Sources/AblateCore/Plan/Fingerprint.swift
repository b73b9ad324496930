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
    public var keys: [Key: String]

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
    private var components: [Fingerprint.Key: [UInt8]] = [:]

    mutating func add(_ key: Fingerprint.Key, _ encoding: CanonicalEncoding) {
        components[key] = encoding.bytes
    }

    func finish() -> Fingerprint {
        var whole = SHA256()
        whole.update(data: Array("ablate-fingerprint-v\(Fingerprint.formatVersion)\n".utf8))
        var keyDigests: [Fingerprint.Key: String] = [:]
        for key in Fingerprint.Key.allCases {
            let bytes = components[key] ?? []
            var part = SHA256()
            part.update(data: bytes)
            let digest = Digest.hex(part.finalize())
            keyDigests[key] = String(digest.prefix(16))
            whole.update(data: Array("\(key.rawValue)=\(digest)\n".utf8))
        }
        return Fingerprint(value: Digest.hex(whole.finalize()), keys: keyDigests)
    }
}

/// A deterministic byte encoding of plan values: maps sorted by key, strings length-prefixed,
/// so that no two different values encode alike and YAML key order never matters.
struct CanonicalEncoding {
    private(set) var bytes: [UInt8] = []

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        bytes += Array("s\(utf8.count):".utf8)
        bytes += utf8
    }

    mutating func value(_ value: SettingValue) {
        switch value {
        case .string(let text): string(text)
        case .int(let int): bytes += Array("i\(int);".utf8)
        case .double(let double): bytes += Array("d\(double);".utf8)
        case .bool(let bool): bytes.append(UInt8(ascii: bool ? "T" : "F"))
        case .list(let items):
            bytes += Array("l\(items.count)[".utf8)
            for item in items { self.value(item) }
            bytes.append(UInt8(ascii: "]"))
        case .map(let entries):
            bytes += Array("m\(entries.count){".utf8)
            for key in entries.keys.sorted() {
                string(key)
                if let entry = entries[key] { self.value(entry) }
            }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    mutating func argument(_ argument: CommandArgument, taskFingerprints: [String: Fingerprint], fileDigests: [String: String]) {
        bytes += Array("a\(argument.parts.count)[".utf8)
        for part in argument.parts {
            switch part {
            case .literal(let text): string(text)
            case .outputDirectory: string("{out}")
            // A dependency is identified by what it computes, not by its readable name.
            case .taskOutput(let task, let output): string("{task:\(taskFingerprints[task]?.value ?? task)/\(output)}")
            // A local file is identified by its content, not by where the checkout lives.
            case .localPath(let path): string("{file:\(fileDigests[path] ?? path)}")
            }
        }
        bytes.append(UInt8(ascii: "]"))
    }
}
