/// The rules for names that become directory names: study, stage, model, dataset and axis names.
public enum Name {
    static func isNameCharacter(_ character: Character) -> Bool {
        character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
    }

    /// Why `name` cannot be used as a directory name under a run, or nil when it is fine.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.contains("\0") { return "contains a NUL character" }
        if name.contains("/") || name.contains("\\") { return "contains a path separator and would escape the run directory" }
        if name == "." || name == ".." || name.hasPrefix("..") { return "would escape the run directory" }
        if name.count > 64 { return "is longer than 64 characters" }
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber else {
            return "must start with a letter or digit"
        }
        if !name.allSatisfy(isNameCharacter) {
            return "may only contain letters, digits, '_' and '-'"
        }
        return nil
    }

    /// A value made safe to appear inside a task or directory name: unsafe characters become
    /// `_`, and long values are shortened with a hash so that two values never collide.
    public static func sanitized(_ value: String) -> String {
        var result = String(
            decoding: value.utf8.map { byte -> UInt8 in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "+"):
                    return byte
                default:
                    return UInt8(ascii: "_")
                }
            }, as: UTF8.self)
        if result.hasPrefix(".") { result = "_" + result.dropFirst() }
        if result != value || result.count > 40 {
            let digest = Digest.sha256Hex(of: Array(value.utf8)).prefix(8)
            result = String(result.prefix(31)) + "~" + digest
        }
        return result
    }
}
