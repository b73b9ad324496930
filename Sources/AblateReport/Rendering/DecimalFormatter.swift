#if canImport(Glibc)
    import Glibc
#endif

/// C's `%.Ng` and `%.Nf` for report cells, computed from Swift's shortest round-trip digits
/// instead of through `vsnprintf` (whose variadic call costs microseconds: a hundred runs'
/// table formats millions of numbers). The shortest digits round the same way as the exact
/// binary value except when the dropped digits are exactly "5": those ties, and infinities
/// and NaN, and numbers asked for with more than 15 significant digits go to `vsnprintf`, so the
/// text is always what C would print.
enum DecimalFormatter {
    /// `%.{significant}g`.
    static func general(_ value: Double, significant: Int) -> String {
        guard value.isFinite, var decimal = ShortestDecimal(value) else { return printf("%.\(significant)g", value) }
        if decimal.isZero { return decimal.negative ? "-0" : "0" }
        guard decimal.round(toDigits: significant) else { return printf("%.\(significant)g", value) }
        let exponent = decimal.exponent
        var text = decimal.negative ? "-" : ""
        if exponent < -4 || exponent >= significant {
            // d.ddd, trailing zeros dropped, then e±XX.
            text += decimal.digitString(from: 0, to: 1)
            let fraction = decimal.digitString(from: 1, to: significant).trimmingZerosAtEnd
            if !fraction.isEmpty { text += "." + fraction }
            text += (exponent < 0 ? "e-" : "e+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
        } else {
            let fractionDigits = significant - 1 - exponent
            text += decimal.fixed(fractionDigits: fractionDigits, trimmingZeros: true)
        }
        return text
    }

    /// `%.{fractionDigits}f`.
    static func fixed(_ value: Double, fractionDigits: Int) -> String {
        guard value.isFinite, var decimal = ShortestDecimal(value) else { return printf("%.\(fractionDigits)f", value) }
        // Past 15 significant digits the binary value's own digits show, which the shortest
        // ones leave out.
        let significant = decimal.exponent + 1 + fractionDigits
        guard significant <= 15, decimal.round(toDigits: significant) else { return printf("%.\(fractionDigits)f", value) }
        return (decimal.negative ? "-" : "") + decimal.fixed(fractionDigits: fractionDigits, trimmingZeros: false)
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

/// A finite double as decimal digits: value = 0.d₀d₁d₂… × 10^(exponent + 1), digits without
/// leading zeros (none at all for zero).
private struct ShortestDecimal {
    var negative: Bool
    var digits: [UInt8]
    /// The power of ten of the first digit.
    var exponent: Int

    var isZero: Bool { digits.isEmpty }

    /// Reads Swift's `description` ("1.2345", "1e-05", "1.2345e+20", "-0.0").
    init?(_ value: Double) {
        negative = value.sign == .minus
        var mantissa = Substring(value.magnitude.description)
        var power = 0
        if let e = mantissa.firstIndex(of: "e") {
            guard let parsed = Int(mantissa[mantissa.index(after: e)...]) else { return nil }
            power = parsed
            mantissa = mantissa[..<e]
        }
        var all: [UInt8] = []
        var pointAt: Int?
        for byte in mantissa.utf8 {
            if byte == UInt8(ascii: ".") {
                pointAt = all.count
            } else {
                guard byte >= 48, byte <= 57 else { return nil }
                all.append(byte - 48)
            }
        }
        let integerDigits = pointAt ?? all.count
        guard let first = all.firstIndex(where: { $0 != 0 }) else {
            digits = []
            exponent = 0
            return
        }
        let last = all.lastIndex(where: { $0 != 0 }) ?? first
        digits = Array(all[first...last])
        exponent = integerDigits - 1 - first + power
    }

    /// Rounds half away from zero to `count` significant digits (zero digits when `count` is
    /// below one and the value rounds to nothing). Returns false for an exact tie, whose
    /// direction only the binary value knows.
    mutating func round(toDigits count: Int) -> Bool {
        guard count < digits.count else { return true }
        if count < 0 {
            digits = []
            return true
        }
        let dropped = digits[count...]
        if dropped.first == 5 && dropped.count == 1 { return false }
        let up = (dropped.first ?? 0) >= 5
        digits.removeSubrange(count...)
        if up {
            var index = digits.count - 1
            while index >= 0 && digits[index] == 9 {
                digits[index] = 0
                index -= 1
            }
            if index >= 0 {
                digits[index] += 1
            } else {
                digits.insert(1, at: 0)
                exponent += 1
            }
        }
        while digits.last == 0 { digits.removeLast() }
        return true
    }

    /// The digits for powers of ten from `exponent - start` down to `exponent - end + 1`.
    func digitString(from start: Int, to end: Int) -> String {
        String(decoding: (start..<end).map { 48 + (($0 < digits.count) ? digits[$0] : 0) }, as: UTF8.self)
    }

    /// Fixed notation with `fractionDigits` decimals.
    func fixed(fractionDigits: Int, trimmingZeros: Bool) -> String {
        func digit(atPower power: Int) -> UInt8 {
            let index = exponent - power
            return 48 + (index >= 0 && index < digits.count ? digits[index] : 0)
        }
        var bytes: [UInt8] = []
        for power in stride(from: max(exponent, 0), through: 0, by: -1) { bytes.append(digit(atPower: power)) }
        var fraction: [UInt8] = (1...max(fractionDigits, 1)).map { digit(atPower: -$0) }
        if fractionDigits <= 0 { fraction = [] }
        if trimmingZeros { while fraction.last == 48 { fraction.removeLast() } }
        if !fraction.isEmpty { bytes += [UInt8(ascii: ".")] + fraction }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate var trimmingZerosAtEnd: String {
        var text = Substring(self)
        while text.last == "0" { text = text.dropLast() }
        return String(text)
    }
}
