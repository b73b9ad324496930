/// How much room text takes in the charts, so that labels can be placed before a browser draws
/// them: the advance widths of DejaVu Sans, the charts' first font (a sans face found on most
/// Linux machines, and wider than the faces that stand in for it elsewhere, so an estimate from
/// it is an upper bound there).
enum ChartText {
    static let fontFamily = "'DejaVu Sans', Verdana, sans-serif"
    static let fontSize = 11.0
    static let titleSize = 12.0

    /// Advance widths of the printable ASCII characters (space to tilde) in 1/2048 em, as the
    /// font's `hmtx` table gives them; other characters count as 1 em, more than most take.
    private static let regular: [UInt16] = [
        651, 821, 942, 1716, 1303, 1946, 1597, 563, 799, 799, 1024, 1716, 651, 739, 651, 690, 1303, 1303, 1303, 1303, 1303, 1303, 1303, 1303,
        1303, 1303, 690, 690, 1716, 1716, 1716, 1087, 2048, 1401, 1405, 1430, 1577, 1294, 1178, 1587, 1540, 604, 604, 1343, 1141, 1767, 1532,
        1612, 1235, 1612, 1423, 1300, 1251, 1499, 1401, 2025, 1403, 1251, 1403, 799, 690, 799, 1716, 1024, 1024, 1255, 1300, 1126, 1300, 1260,
        721, 1300, 1298, 569, 569, 1186, 569, 1995, 1298, 1253, 1300, 1300, 842, 1067, 803, 1298, 1212, 1675, 1212, 1212, 1075, 1303, 690,
        1303, 1716,
    ]
    private static let bold: [UInt16] = [
        713, 934, 1067, 1716, 1425, 2052, 1786, 627, 936, 936, 1071, 1716, 778, 850, 778, 748, 1425, 1425, 1425, 1425, 1425, 1425, 1425, 1425,
        1425, 1425, 819, 819, 1716, 1716, 1716, 1188, 2048, 1585, 1561, 1503, 1700, 1399, 1399, 1681, 1714, 762, 762, 1587, 1305, 2038, 1714,
        1741, 1501, 1741, 1577, 1475, 1397, 1663, 1585, 2259, 1579, 1483, 1485, 936, 748, 936, 1716, 1024, 1024, 1382, 1466, 1214, 1466, 1389,
        891, 1466, 1458, 702, 702, 1362, 702, 2134, 1458, 1407, 1466, 1466, 1010, 1219, 979, 1458, 1335, 1892, 1321, 1335, 1192, 1458, 748,
        1458, 1716,
    ]
    /// The font's ascent and descent, in em: the height a browser gives a line of its text.
    static let ascent = 0.93
    static let descent = 0.24

    /// The width of `text` at `size` pixels.
    static func width(_ text: String, size: Double = fontSize, isBold: Bool = false) -> Double {
        let table = isBold ? bold : regular
        var units = 0.0
        for scalar in text.unicodeScalars {
            let value = Int(scalar.value)
            units += value >= 32 && value < 127 ? Double(table[value - 32]) : 2048
        }
        return units / 2048 * size
    }

    /// `text` cut to fit `width` pixels, with an ellipsis where it was cut.
    static func fitted(_ text: String, width available: Double, size: Double = fontSize, isBold: Bool = false) -> String {
        guard width(text, size: size, isBold: isBold) > available else { return text }
        var characters = Array(text)
        while !characters.isEmpty && width(String(characters) + "…", size: size, isBold: isBold) > available { characters.removeLast() }
        return characters.isEmpty ? "" : String(characters) + "…"
    }
}
