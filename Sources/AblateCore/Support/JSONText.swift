/// JSON text written straight into bytes, exactly as `JSONEncoder` writes it with `.sortedKeys`
/// and `.withoutEscapingSlashes`: no white space, `/` as is, control characters as `\b`, `\f`,
/// `\n`, `\r`, `\t` or `\u001f`, whole doubles without `.0`.
///
/// `JSONEncoder` builds a tree of boxed values through generic containers before it writes a
/// byte, which made it half the cost of planning a large sweep and a sixth of ablate's own work
/// per task in a run. Types written by the ten thousand (the plan's tasks, the run's files for
/// each task) conform to `JSONTextWritable` instead, and write their keys in sorted order
/// themselves; tests hold their output to `JSONEncoder`'s, byte for byte.
package struct JSONText {
    package private(set) var bytes: [UInt8] = []

    package init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    package mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { quoted($0) }
    }

    package mutating func string(_ text: Substring) {
        var text = text
        text.withUTF8 { quoted($0) }
    }

    private mutating func quoted(_ utf8: UnsafeBufferPointer<UInt8>) {
        bytes.append(UInt8(ascii: "\""))
        // Most strings need no escape: runs of plain bytes are copied whole.
        var start = 0
        for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index]))
            escape(byte)
            start = index + 1
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...]))
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default:
            raw("u00")
            bytes.append(Digest.hexDigits[Int(byte >> 4)])
            bytes.append(Digest.hexDigits[Int(byte & 0xF)])
        }
    }

    package mutating func int(_ value: Int) {
        var text = String(value)
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// JSON has no infinity or NaN: like `JSONEncoder`, refuses them.
    package mutating func double(_ value: Double) throws {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value, EncodingError.Context(codingPath: [], debugDescription: "Unable to encode Double.\(value) directly in JSON."))
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    package mutating func bool(_ value: Bool) {
        value ? raw("true") : raw("false")
    }

    /// `{`, then `key` for each member in sorted order, then `}`.
    package mutating func beginObject() { bytes.append(UInt8(ascii: "{")) }
    package mutating func endObject() { bytes.append(UInt8(ascii: "}")) }
    package mutating func beginArray() { bytes.append(UInt8(ascii: "[")) }
    package mutating func endArray() { bytes.append(UInt8(ascii: "]")) }

    /// A member's key, after a comma unless it is the object's first.
    package mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }

    /// A key that comes from data (a dictionary's), escaped as any string.
    package mutating func key(_ name: String) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// `"name":"value"`, or nothing when `value` is nil, as a synthesized conformance leaves
    /// a nil optional out.
    package mutating func member(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    /// `"name":value`, or nothing when `value` is nil.
    package mutating func member(_ name: StaticString, _ value: (some BinaryInteger)?) {
        guard let value else { return }
        key(name)
        int(Int(value))
    }

    /// `"name":value`, or nothing when `value` is nil; refuses a value that is not finite.
    package mutating func member(_ name: StaticString, _ value: Double?) throws {
        guard let value else { return }
        key(name)
        try double(value)
    }

    /// The comma before an array's element or an object's member, unless it is the first.
    package mutating func separate() {
        if let last = bytes.last, last != UInt8(ascii: "{"), last != UInt8(ascii: "[") { bytes.append(UInt8(ascii: ",")) }
    }

    /// `{"name":"value"}`.
    package mutating func object(_ name: StaticString, _ value: String) {
        beginObject()
        key(name)
        string(value)
        endObject()
    }

    /// `{"first":"a","second":"b"}`: `first` sorts before `second`.
    package mutating func object(_ first: StaticString, _ a: String, _ second: StaticString, _ b: String) {
        beginObject()
        key(first)
        string(a)
        key(second)
        string(b)
        endObject()
    }

    package mutating func array<Element>(_ elements: [Element], _ write: (inout JSONText, Element) throws -> Void) rethrows {
        beginArray()
        for element in elements {
            separate()
            try write(&self, element)
        }
        endArray()
    }

    package mutating func array(_ elements: [some JSONTextWritable]) throws {
        try array(elements) { json, element in try element.write(to: &json) }
    }

    package mutating func array(_ strings: [String]) {
        array(strings) { json, string in json.string(string) }
    }

    /// A dictionary with string keys, as an object with its keys sorted.
    package mutating func object<Value>(_ dictionary: [String: Value], _ write: (inout JSONText, Value) throws -> Void) rethrows {
        beginObject()
        for (key, value) in dictionary.sorted(by: { $0.key < $1.key }) {
            self.key(key)
            try write(&self, value)
        }
        endObject()
    }
}

/// A type that writes itself as JSON text, as its `Encodable` conformance would.
package protocol JSONTextWritable {
    func write(to json: inout JSONText) throws
}
