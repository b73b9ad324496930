import Foundation

/// A rectangle in a chart's pixels.
struct ChartBox: Equatable {
    var left: Double
    var top: Double
    var right: Double
    var bottom: Double

    func intersects(_ other: ChartBox) -> Bool {
        left < other.right && other.left < right && top < other.bottom && other.top < bottom
    }

    func isInside(_ other: ChartBox) -> Bool {
        left >= other.left && right <= other.right && top >= other.top && bottom <= other.bottom
    }

    /// Grown by `margin` on every side.
    func padded(_ margin: Double) -> ChartBox { ChartBox(left: left - margin, top: top - margin, right: right + margin, bottom: bottom + margin) }
}

/// Where a text's `x` is: its start, middle or end (SVG's `text-anchor`).
enum TextAnchor: String {
    case start, middle, end
}

/// One SVG chart being drawn: its elements, and the box of every text placed so far, so that
/// no text is placed over another or outside the chart.
struct ChartCanvas {
    let width: Double
    private(set) var height: Double
    /// The plotting area, inside the axes.
    var plot: ChartBox
    private(set) var elements: [String] = []
    private(set) var textBoxes: [ChartBox] = []
    /// Marks (points) that labels must not cover.
    private(set) var obstacles: [ChartBox] = []

    init(width: Double, height: Double, plot: ChartBox) {
        self.width = width
        self.height = height
        self.plot = plot
    }

    var bounds: ChartBox { ChartBox(left: 0, top: 0, right: width, bottom: height) }

    /// The box `text` would take with its baseline at `y`.
    static func box(of text: String, x: Double, y: Double, anchor: TextAnchor, size: Double = ChartText.fontSize, isBold: Bool = false) -> ChartBox {
        let width = ChartText.width(text, size: size, isBold: isBold)
        let left: Double
        switch anchor {
        case .start: left = x
        case .middle: left = x - width / 2
        case .end: left = x - width
        }
        return ChartBox(left: left, top: y - ChartText.ascent * size, right: left + width, bottom: y + ChartText.descent * size)
    }

    /// Whether a text with this box would stay inside the chart, clear of every other text (by
    /// a pixel at least) and of the marks.
    func isFree(_ box: ChartBox) -> Bool {
        box.isInside(bounds.padded(-1)) && !textBoxes.contains { $0.padded(1).intersects(box) } && !obstacles.contains { $0.intersects(box) }
    }

    mutating func add(_ element: String) { elements.append(element) }

    mutating func addObstacle(_ box: ChartBox) { obstacles.append(box) }

    /// Draws a text and keeps its box; `hover` becomes its tooltip.
    mutating func text(
        _ text: String, x: Double, y: Double, anchor: TextAnchor = .start, size: Double = ChartText.fontSize, isBold: Bool = false,
        fill: String = "#222", hover: String? = nil
    ) {
        textBoxes.append(Self.box(of: text, x: x, y: y, anchor: anchor, size: size, isBold: isBold))
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if size != ChartText.fontSize { attributes += " font-size=\"\(Self.number(size))\"" }
        if isBold { attributes += " font-weight=\"bold\"" }
        if fill != "#222" { attributes += " fill=\"\(fill)\"" }
        elements.append("<text \(attributes)>\(escape(text))\(hover.map { "<title>\(escape($0))</title>" } ?? "")</text>")
    }

    /// Makes the chart taller by `extra` pixels at the bottom (for a legend).
    mutating func grow(by extra: Double) { height += extra }

    /// The chart as an SVG element; standalone, with the XML namespace a file needs.
    func svg(title: String, className: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"\(className)\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
            + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" font-family=\"\(ChartText.fontFamily)\" font-size=\"\(Self.number(ChartText.fontSize))\" role=\"img\">"
            + "<title>\(escape(title))</title>" + elements.joined() + "</svg>"
    }

    /// Pixels with at most two decimals.
    static func number(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
