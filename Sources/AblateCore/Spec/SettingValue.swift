/// A resolved, typed setting or sweep value: what a stage is finally configured with.
///
/// Maps are kept sorted by key wherever they are encoded, so equal settings always encode to
/// equal bytes, whatever order the YAML listed them in.
public enum SettingValue: Hashable, Sendable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case list([SettingValue])
    case map([String: SettingValue])

    /// The value as it appears in names and command lines: `lima`, `8`, `2e-05`, `true`.
    public var text: String {
        switch self {
        case .string(let value): return value
        case .int(let value): return String(value)
        case .double(let value): return Self.format(value)
        case .bool(let value): return value ? "true" : "false"
        case .list(let values): return values.map(\.text).joined(separator: ",")
        case .map(let values):
            return values.keys.sorted().map { "\($0)=\(values[$0]?.text ?? "")" }.joined(separator: ",")
        }
    }

    /// Whole numbers print without a fraction (`1.0` → `1`), others in their shortest form.
    static func format(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return String(Int(value))
        }
        return String(value)
    }

    public var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }
}

extension SettingValue {
    /// Reads a scalar node the way YAML would: plain numbers, booleans and text.
    init?(scalarNode node: SpecNode) {
        guard let scalar = node.scalar, !node.isNull else { return nil }
        self = SettingValue(scalar: scalar)
    }

    init(scalar: SpecNode.Scalar) {
        guard scalar.isPlain else {
            self = .string(scalar.text)
            return
        }
        let text = scalar.text
        if let int = Int(text.replacingOccurrences(of: "_", with: "")) {
            self = .int(int)
        } else if let bool = Self.yamlBool(text) {
            self = .bool(bool)
        } else if Self.looksNumeric(text), let double = Double(text) {
            self = .double(double)
        } else {
            self = .string(text)
        }
    }

    private static func yamlBool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }

    /// `Double("nan")` and `Double("infinity")` succeed, but in a spec those are words.
    private static func looksNumeric(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first else { return false }
        return "0123456789.+-".unicodeScalars.contains(first)
            && text.unicodeScalars.allSatisfy { "0123456789.+-eE".unicodeScalars.contains($0) }
    }
}

extension SettingValue: Codable {
    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([SettingValue].self) {
            self = .list(value)
        } else {
            self = .map(try container.decode([String: SettingValue].self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .list(let value): try container.encode(value)
        case .map(let value): try container.encode(value)
        }
    }
}
