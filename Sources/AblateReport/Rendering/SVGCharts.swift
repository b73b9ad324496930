import Foundation

/// Small inline SVG charts: lines, bars and a scatter, with labelled axes.
enum SVGCharts {
    static let width = 420.0
    static let height = 240.0
    static let margin = (left: 48.0, right: 12.0, top: 24.0, bottom: 36.0)
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    static func color(_ index: Int) -> String { palette[index % palette.count] }

    private static func frame(_ title: String, _ content: String, legend: String = "") -> String {
        "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" role=\"img\">"
            + "<title>\(escape(title))</title><text x=\"\(margin.left)\" y=\"14\" font-weight=\"bold\">\(escape(title))</text>"
            + "<line x1=\"\(margin.left)\" y1=\"\(height - margin.bottom)\" x2=\"\(width - margin.right)\" y2=\"\(height - margin.bottom)\" stroke=\"#444\"/>"
            + "<line x1=\"\(margin.left)\" y1=\"\(margin.top)\" x2=\"\(margin.left)\" y2=\"\(height - margin.bottom)\" stroke=\"#444\"/>"
            + content + "</svg>" + legend + "</figure>\n"
    }

    /// Maps `value` from `range` onto the pixels from `start` to `end` (which may run
    /// downwards, as SVG's y axis does).
    private static func scale(_ value: Double, from range: ClosedRange<Double>, to start: Double, _ end: Double) -> Double {
        let span = range.upperBound - range.lowerBound
        let fraction = span == 0 ? 0.5 : (value - range.lowerBound) / span
        return start + fraction * (end - start)
    }

    private static func range(_ values: [Double]) -> ClosedRange<Double> {
        guard let low = values.min(), let high = values.max() else { return 0...1 }
        return low...high
    }

    private static func format(_ value: Double) -> String { String(format: "%.3g", value) }

    private static func axisLabels(x: ClosedRange<Double>, y: ClosedRange<Double>) -> String {
        "<text x=\"\(margin.left)\" y=\"\(height - margin.bottom + 14)\">\(format(x.lowerBound))</text>"
            + "<text x=\"\(width - margin.right)\" y=\"\(height - margin.bottom + 14)\" text-anchor=\"end\">\(format(x.upperBound))</text>"
            + "<text x=\"\(margin.left - 4)\" y=\"\(height - margin.bottom)\" text-anchor=\"end\">\(format(y.lowerBound))</text>"
            + "<text x=\"\(margin.left - 4)\" y=\"\(margin.top + 8)\" text-anchor=\"end\">\(format(y.upperBound))</text>"
    }

    static func lines(title: String, series: [ResultsSeries]) -> String {
        let xs = range(series.flatMap { $0.points.map { Double($0.step) } })
        let ys = range(series.flatMap { $0.points.map(\.value) })
        var content = axisLabels(x: xs, y: ys)
        var legend = "<div>"
        for (index, line) in series.enumerated() {
            let points = line.points.map { point in
                "\(scale(Double(point.step), from: xs, to: margin.left, width - margin.right)),\(scale(point.value, from: ys, to: height - margin.bottom, margin.top))"
            }.joined(separator: " ")
            content +=
                "<polyline class=\"series\" fill=\"none\" stroke=\"\(color(index))\" stroke-width=\"1.5\" points=\"\(points)\"><title>\(escape(line.label))</title></polyline>"
            legend += "<span style=\"color:\(color(index))\">■</span> \(escape(line.label)) "
        }
        return frame(title, content, legend: legend + "</div>")
    }

    static func bars(title: String, bars: [(label: String, value: Double?)]) -> String {
        let values = bars.compactMap(\.value)
        let top = max(values.max() ?? 1, 0)
        let bottom = min(values.min() ?? 0, 0)
        let slot = (width - margin.left - margin.right) / Double(max(bars.count, 1))
        var content = axisLabels(x: 0...0, y: bottom...top).replacingOccurrences(of: ">0</text>", with: "></text>")
        var legend = "<div>"
        for (index, bar) in bars.enumerated() {
            let x = margin.left + Double(index) * slot + slot * 0.1
            legend += "<span style=\"color:\(color(index))\">■</span> \(escape(bar.label)) "
            guard let value = bar.value else {
                content += "<text x=\"\(x)\" y=\"\(height - margin.bottom - 4)\" fill=\"#999\">—<title>\(escape(bar.label)): missing</title></text>"
                continue
            }
            let zero = scale(0, from: bottom...top, to: height - margin.bottom, margin.top)
            let y = scale(value, from: bottom...top, to: height - margin.bottom, margin.top)
            content +=
                "<rect class=\"bar\" x=\"\(x)\" y=\"\(min(y, zero))\" width=\"\(slot * 0.8)\" height=\"\(abs(zero - y))\" fill=\"\(color(index))\">"
                + "<title>\(escape(bar.label)): \(format(value))</title></rect>"
        }
        return frame(title, content, legend: legend + "</div>")
    }

    static func scatter(xLabel: String, yLabel: String, points: [(label: String, x: Double, y: Double)]) -> String {
        let xs = range(points.map(\.x))
        let ys = range(points.map(\.y))
        var content =
            axisLabels(x: xs, y: ys)
            + "<text x=\"\(width - margin.right)\" y=\"\(height - 4)\" text-anchor=\"end\">\(escape(xLabel))</text>"
            + "<text x=\"4\" y=\"\(margin.top - 4)\">\(escape(yLabel))</text>"
        for (index, point) in points.enumerated() {
            let x = scale(point.x, from: xs, to: margin.left + 8, width - margin.right - 8)
            let y = scale(point.y, from: ys, to: height - margin.bottom - 8, margin.top + 8)
            content +=
                "<circle class=\"point\" cx=\"\(x)\" cy=\"\(y)\" r=\"5\" fill=\"\(color(index))\"><title>\(escape(point.label))</title></circle>"
                + "<text x=\"\(x + 7)\" y=\"\(y + 4)\">\(escape(point.label))</text>"
        }
        return frame("\(yLabel) vs \(xLabel)", content)
    }
}
