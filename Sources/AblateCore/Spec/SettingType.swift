/// The type a setting's value must have, with the check that turns a YAML value into it.
public indirect enum SettingType: Sendable {
    case positiveInteger
    case nonNegativeInteger
    case positiveNumber
    case nonNegativeNumber
    /// A number in [0, 1), such as a dropout.
    case fraction
    case bool
    case string
    /// A local file or directory, relative to the spec file that names it.
    case path
    case stringList
    /// A time limit: `90m`, `8h`, `1d12h`, `45s`, or a bare number of minutes.
    case duration
    /// A checkpoint interval: a number of optimizer steps (`500`, `500 steps`) or a duration (`30m`).
    case checkpointInterval
    /// An amount of memory: `64G`, `512M`, `1T`, or a bare number of megabytes.
    case memory
    case choice([String])
    case choiceList([String])
    /// A nested mapping with settings of its own (`lora: {r: 8, alpha: 16}`).
    case record([SettingDefinition])

    public var isPath: Bool {
        if case .path = self { return true }
        return false
    }

    /// A record's field by name (nil for other types).
    public func field(named name: String) -> SettingDefinition? {
        if case .record(let fields) = self { return fields.first { $0.name == name } }
        return nil
    }

    /// What the type is, as a fix in an error message would describe it.
    public var expectation: String {
        switch self {
        case .positiveInteger: return "a positive integer"
        case .nonNegativeInteger: return "an integer of 0 or more"
        case .positiveNumber: return "a positive number"
        case .nonNegativeNumber: return "a number of 0 or more"
        case .fraction: return "a number from 0 up to (not including) 1"
        case .bool: return "true or false"
        case .string: return "a string"
        case .path: return "a path to a local file or directory"
        case .stringList: return "a list of strings"
        case .duration: return "a duration such as 90m, 8h or 1d12h"
        case .checkpointInterval: return "a number of steps (500, or '500 steps') or a duration such as 30m"
        case .memory: return "an amount of memory such as 512M, 64G or 1T"
        case .choice(let values): return "one of \(values.quotedList)"
        case .choiceList(let values): return "a list of \(values.quotedList)"
        case .record: return "a mapping"
        }
    }

    /// Checks `value`, returning it in canonical form (durations in seconds, memory in
    /// megabytes) or a message that says what was expected.
    public func check(_ value: SettingValue) -> Result<SettingValue, SettingTypeError> {
        let mismatch = SettingTypeError.mismatch(expected: expectation, got: value)
        switch self {
        case .positiveInteger, .nonNegativeInteger:
            guard case .int(let int) = value else { return .failure(mismatch) }
            let minimum = if case .positiveInteger = self { 1 } else { 0 }
            return int >= minimum ? .success(value) : .failure(mismatch)
        case .positiveNumber, .nonNegativeNumber, .fraction:
            guard let number = value.number, number.isFinite else { return .failure(mismatch) }
            switch self {
            case .positiveNumber where number <= 0: return .failure(mismatch)
            case .nonNegativeNumber where number < 0: return .failure(mismatch)
            case .fraction where number < 0 || number >= 1: return .failure(mismatch)
            default: return .success(.double(number))
            }
        case .bool:
            guard case .bool = value else { return .failure(mismatch) }
            return .success(value)
        case .string, .path:
            switch value {
            case .string: return .success(value)
            case .int, .double, .bool: return .success(.string(value.text))
            default: return .failure(mismatch)
            }
        case .stringList:
            guard case .list(let items) = value else { return .failure(mismatch) }
            var strings: [SettingValue] = []
            for item in items {
                guard case .success(let string) = SettingType.string.check(item) else { return .failure(mismatch) }
                strings.append(string)
            }
            return .success(.list(strings))
        case .duration:
            guard let seconds = Self.seconds(in: value) else { return .failure(mismatch) }
            return .success(.int(seconds))
        case .checkpointInterval:
            // Steps stay a number; a duration becomes its seconds, written `1800s`.
            if case .int(let steps) = value { return steps > 0 ? .success(value) : .failure(mismatch) }
            guard case .string(let text) = value else { return .failure(mismatch) }
            let words = text.split(separator: " ")
            if words.count == 2, ["steps", "step"].contains(words[1]), let steps = Int(words[0]), steps > 0 { return .success(.int(steps)) }
            guard let seconds = Self.seconds(in: value) else { return .failure(mismatch) }
            return .success(.string("\(seconds)s"))
        case .memory:
            guard let megabytes = Self.megabytes(in: value) else { return .failure(mismatch) }
            return .success(.int(megabytes))
        case .choice(let values):
            guard case .string(let text) = value, values.contains(text) else {
                return .failure(.notAChoice(value.text, among: values))
            }
            return .success(value)
        case .choiceList(let values):
            guard case .list(let items) = value else { return .failure(mismatch) }
            for item in items {
                guard case .string(let text) = item, values.contains(text) else {
                    return .failure(.notAChoice(item.text, among: values))
                }
            }
            return .success(value)
        case .record:
            guard case .map = value else { return .failure(mismatch) }
            return .success(value)
        }
    }

    /// `8h` → 28800. Units d, h, m, s may be combined (`1h30m`); a bare number is minutes,
    /// as in Slurm's `--time`.
    static func seconds(in value: SettingValue) -> Int? {
        switch value {
        case .int(let minutes): return minutes > 0 && minutes < Int.max / 60 ? minutes * 60 : nil
        case .string(let text):
            var total = 0
            var digits = ""
            for character in text {
                if character.isASCII, character.isNumber {
                    digits.append(character)
                    continue
                }
                let unit: Int
                switch character {
                case "d": unit = 86_400
                case "h": unit = 3_600
                case "m": unit = 60
                case "s": unit = 1
                default: return nil
                }
                guard let amount = Int(digits), amount < 1_000_000 else { return nil }
                total += amount * unit
                digits = ""
            }
            return digits.isEmpty && total > 0 ? total : nil
        default: return nil
        }
    }

    /// `64G` → 65536. Units K, M, G, T (optionally followed by B or iB); a bare number is MB.
    static func megabytes(in value: SettingValue) -> Int? {
        switch value {
        case .int(let megabytes): return megabytes > 0 ? megabytes : nil
        case .string(let raw):
            var text = raw.uppercased()
            for suffix in ["IB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count + 1 {
                text.removeLast(suffix.count)
                break
            }
            guard let unit = text.last, let amount = Double(text.dropLast()), amount > 0, amount < 1e9 else { return nil }
            let factor: Double
            switch unit {
            case "K": factor = 1.0 / 1024
            case "M": factor = 1
            case "G": factor = 1024
            case "T": factor = 1024 * 1024
            default: return nil
            }
            let megabytes = (amount * factor).rounded(.up)
            return megabytes >= 1 ? Int(megabytes) : nil
        default: return nil
        }
    }
}

/// Why a value does not fit a setting's type.
public enum SettingTypeError: Error, Sendable {
    case mismatch(expected: String, got: SettingValue)
    case notAChoice(String, among: [String])

    /// The message, naming the setting and the bad value.
    func message(for setting: String) -> String {
        switch self {
        case .mismatch(let expected, let got):
            var message = "'\(setting)' must be \(expected), not \(got.messageDescription)"
            if case .string(let text) = got, Double(text) != nil {
                message += "; remove the quotes to write a number"
            }
            return message
        case .notAChoice(let value, let values):
            return "'\(setting)' must be one of \(values.quotedList), not '\(value.truncatedForMessage)'\(Suggestion.hint(for: value, in: values))"
        }
    }
}

extension SettingValue {
    var messageDescription: String {
        switch self {
        case .string(let text): return "the string '\(text.truncatedForMessage)'"
        case .list: return "a list"
        case .map: return "a mapping"
        default: return text
        }
    }
}
