#if canImport(Glibc)
    import Glibc
#endif

/// C's `%.Ng` and `%.Nf` for report cells, computed from Swift's shortest round-trip digits
/// instead of through `vsnprintf` (whose variadic call costs microseconds: a hundred runs'
/// table formats millions of numbers), without a heap allocation for the digits. The shortest
/// digits round the same way as the exact binary value except when the dropped digits are
/// exactly "5": those ties, infinities and NaN, and numbers asked for with more than 15
/// significant digits go to `vsnprintf`, so the text is always what C would print.
enum DecimalFormatter {
    /// `%.{significant}g`.
    static func general(_ value: Double, significant: Int) -> String {
        guard value.isFinite, significant <= 15, var decimal = ShortestDecimal(value) else { return printf("%.\(significant)g", value) }
        if decimal.count == 0 { return decimal.negative ? "-0" : "0" }
        guard decimal.round(toDigits: significant) else { return printf("%.\(significant)g", value) }
        let exponent = decimal.exponent
        return text { output in
            if decimal.negative { output.append(UInt8(ascii: "-")) }
            if exponent < -4 || exponent >= significant {
                // d.ddd with trailing zeros dropped, then e±XX.
                output.append(48 + decimal[0])
                if decimal.count > 1 {
                    output.append(UInt8(ascii: "."))
                    for index in 1..<decimal.count { output.append(48 + decimal[index]) }
                }
                output.append(UInt8(ascii: "e"))
                output.append(UInt8(ascii: exponent < 0 ? "-" : "+"))
                if abs(exponent) < 10 { output.append(48) }
                for byte in String(abs(exponent)).utf8 { output.append(byte) }
            } else {
                decimal.writeFixed(fractionDigits: significant - 1 - exponent, trimmingZeros: true, to: &output)
            }
        }
    }

    /// `%.{fractionDigits}f`.
    static func fixed(_ value: Double, fractionDigits: Int) -> String {
        if let text = fixedByScaling(value, fractionDigits: fractionDigits) { return text }
        guard value.isFinite, var decimal = ShortestDecimal(value) else { return printf("%.\(fractionDigits)f", value) }
        // Past 15 significant digits the binary value's own digits show, which the shortest
        // ones leave out.
        let significant = decimal.exponent + 1 + fractionDigits
        guard significant <= 15, decimal.round(toDigits: significant) else { return printf("%.\(fractionDigits)f", value) }
        return text { output in
            if decimal.negative { output.append(UInt8(ascii: "-")) }
            decimal.writeFixed(fractionDigits: fractionDigits, trimmingZeros: false, to: &output)
        }
    }

    /// Exact powers of ten.
    private static let powersOfTen: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// `%.Nf` by scaling to an integer: value × 10^N is off from the exact product by at most
    /// half an ulp, so where its fraction is not within a few ulps of one half, rounding it
    /// rounds the exact value the same way. Nil where that does not hold, or for large numbers.
    private static func fixedByScaling(_ value: Double, fractionDigits: Int) -> String? {
        guard fractionDigits < powersOfTen.count, value.magnitude < 1e12 else { return nil }
        let scaled = value.magnitude * powersOfTen[fractionDigits]
        let whole = scaled.rounded(.down)
        let fraction = scaled - whole
        guard abs(fraction - 0.5) > 4 * scaled.ulp else { return nil }
        var integer = UInt64(whole) + (fraction > 0.5 ? 1 : 0)
        var digits = InlineArray<24, UInt8>(repeating: 48)
        var count = 0
        repeat {
            digits[count] = 48 + UInt8(integer % 10)
            integer /= 10
            count += 1
        } while integer > 0
        count = max(count, fractionDigits + 1)
        return text { output in
            if value.sign == .minus { output.append(UInt8(ascii: "-")) }
            for index in stride(from: count - 1, through: 0, by: -1) {
                if index == fractionDigits - 1 { output.append(UInt8(ascii: ".")) }
                output.append(digits[index])
            }
        }
    }

    /// The bytes `write` appends, as a string (at most 40 of them: 15 digits and the rest).
    private static func text(_ write: (inout TextBuffer) -> Void) -> String {
        var buffer = TextBuffer()
        write(&buffer)
        return buffer.string
    }

    /// C's own formatting, for the cases above that need it.
    static func printf(_ format: String, _ value: Double) -> String {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 400) { buffer -> String in
            let count = withVaList([value]) { vsnprintf(buffer.baseAddress, buffer.count, format, $0) }
            guard count >= 0, Int(count) < buffer.count else { return "\(value)" }
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: Int(count)), as: UTF8.self)
        }
    }
}

/// A few bytes of text kept inline.
private struct TextBuffer {
    private var bytes = InlineArray<48, UInt8>(repeating: 0)
    private var count = 0

    mutating func append(_ byte: UInt8) {
        guard count < 48 else { return }
        bytes[count] = byte
        count += 1
    }

    var string: String {
        let length = count
        return bytes.span.withUnsafeBufferPointer { String(decoding: $0.prefix(length), as: UTF8.self) }
    }
}

/// A finite double as decimal digits: value = d₀.d₁d₂… × 10^exponent, without leading or
/// trailing zeros (none at all for zero).
private struct ShortestDecimal {
    var negative: Bool
    private var digits = InlineArray<20, UInt8>(repeating: 0)
    private(set) var count = 0
    /// The power of ten of the first digit.
    private(set) var exponent = 0

    subscript(index: Int) -> UInt8 { digits[index] }

    /// Reads Swift's `description` ("1.2345", "1e-05", "1.2345e+20", "0.0").
    init?(_ value: Double) {
        negative = value.sign == .minus
        var integerDigits: Int?
        var seen = 0
        var leadingZeros = 0
        var power = 0
        var powerSign = 1
        var inExponent = false
        for byte in value.magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "."): integerDigits = seen
            case UInt8(ascii: "e"): inExponent = true
            case UInt8(ascii: "-") where inExponent: powerSign = -1
            case UInt8(ascii: "+") where inExponent: break
            case 48...57 where inExponent: power = power * 10 + Int(byte - 48)
            case 48...57:
                seen += 1
                if count == 0 && byte == 48 {
                    leadingZeros += 1
                } else {
                    guard count < 20 else { return nil }
                    digits[count] = byte - 48
                    count += 1
                }
            default: return nil
            }
        }
        while count > 0 && digits[count - 1] == 0 { count -= 1 }
        exponent = count == 0 ? 0 : (integerDigits ?? seen) - 1 - leadingZeros + power * powerSign
    }

    /// Rounds half away from zero to `wanted` significant digits (to nothing when `wanted` is
    /// below one). Returns false for an exact tie, whose direction only the binary value knows.
    mutating func round(toDigits wanted: Int) -> Bool {
        guard wanted < count else { return true }
        if wanted < 0 {
            count = 0
            return true
        }
        if digits[wanted] == 5 && count == wanted + 1 { return false }
        let up = digits[wanted] >= 5
        count = wanted
        if up {
            var index = count - 1
            while index >= 0 && digits[index] == 9 {
                digits[index] = 0
                index -= 1
            }
            if index >= 0 {
                digits[index] += 1
            } else {
                // 9.99 → 10.0: one digit more in front.
                digits[0] = 1
                count = 1
                exponent += 1
            }
        }
        while count > 0 && digits[count - 1] == 0 { count -= 1 }
        return true
    }

    private func digit(atPower power: Int) -> UInt8 {
        let index = exponent - power
        return 48 + (index >= 0 && index < count ? digits[index] : 0)
    }

    /// Fixed notation with `fractionDigits` decimals.
    func writeFixed(fractionDigits: Int, trimmingZeros: Bool, to output: inout TextBuffer) {
        for power in stride(from: max(exponent, 0), through: 0, by: -1) { output.append(digit(atPower: power)) }
        var last = fractionDigits
        if trimmingZeros { while last > 0 && digit(atPower: -last) == 48 { last -= 1 } }
        guard last > 0 else { return }
        output.append(UInt8(ascii: "."))
        for position in 1...last { output.append(digit(atPower: -position)) }
    }
}
