/// The frame every chart shares: a title, a y axis with a label at each tick and light grid
/// lines, an x axis with either ticks of its own or one label per slot, and an axis title below.
/// The margins are measured from the labels, so that no label is cut off at an edge.
enum ChartAxes {
    static let width = 480.0
    static let height = 280.0
    private static let tickLength = 4.0
    private static let titleBaseline = 17.0
    private static let plotTop = 32.0

    /// What the x axis shows.
    enum XAxis {
        /// A numeric scale with labelled ticks.
        case scale(ChartScale)
        /// Numbered slots (bars): one short label under each slot that has room.
        case slots([String])
    }

    /// A canvas with the frame drawn: the plot area sized so that every tick label fits.
    static func canvas(title: String, y: ChartScale, x: XAxis, xTitle: String?) -> ChartCanvas {
        let yLabels = y.ticks.map(y.label)
        let left = 8 + (yLabels.map { ChartText.width($0) }.max() ?? 0) + tickLength + 4
        var right = 16.0
        if case .scale(let scale) = x, let last = scale.ticks.last { right = max(right, ChartText.width(scale.label(last)) / 2 + 4) }
        let bottom = height - (xTitle == nil ? 26 : 42)
        var canvas = ChartCanvas(width: width, height: height, plot: ChartBox(left: left, top: plotTop, right: width - right, bottom: bottom))
        let plot = canvas.plot
        canvas.text(
            ChartText.fitted(title, width: width - 16, size: ChartText.titleSize, isBold: true), x: 8, y: titleBaseline, size: ChartText.titleSize,
            isBold: true, hover: title)
        for (tick, label) in zip(y.ticks, yLabels) {
            let position = y.position(tick, from: plot.bottom, to: plot.top)
            canvas.add(line(plot.left, position, plot.right, position, stroke: "#e5e5e5"))
            canvas.add(line(plot.left - tickLength, position, plot.left, position, stroke: "#444"))
            canvas.text(label, x: plot.left - tickLength - 2, y: position + 4, anchor: .end)
        }
        canvas.add(line(plot.left, plot.top, plot.left, plot.bottom, stroke: "#444"))
        canvas.add(line(plot.left, plot.bottom, plot.right, plot.bottom, stroke: "#444"))
        // Low enough that the first label clears the lowest label of the y axis.
        let labelBaseline = plot.bottom + 19
        switch x {
        case .scale(let scale):
            for tick in scale.ticks {
                let position = scale.position(tick, from: plot.left, to: plot.right)
                canvas.add(line(position, plot.bottom, position, plot.bottom + tickLength, stroke: "#444"))
                let label = scale.label(tick)
                if canvas.isFree(ChartCanvas.box(of: label, x: position, y: labelBaseline, anchor: .middle)) {
                    canvas.text(label, x: position, y: labelBaseline, anchor: .middle)
                }
            }
        case .slots(let labels):
            let slot = (plot.right - plot.left) / Double(max(labels.count, 1))
            for (index, label) in labels.enumerated() {
                let position = plot.left + slot * (Double(index) + 0.5)
                if canvas.isFree(ChartCanvas.box(of: label, x: position, y: labelBaseline, anchor: .middle).padded(2)) {
                    canvas.text(label, x: position, y: labelBaseline, anchor: .middle, fill: "#555")
                }
            }
        }
        if let xTitle {
            let fitted = ChartText.fitted(xTitle, width: plot.right - plot.left)
            canvas.text(fitted, x: (plot.left + plot.right) / 2, y: plot.bottom + 35, anchor: .middle, fill: "#555", hover: xTitle)
        }
        return canvas
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dashed: Bool = false) -> String {
        let n = ChartCanvas.number
        return "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\""
            + (width != 1 ? " stroke-width=\"\(n(width))\"" : "") + (dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>"
    }

    /// A key below the plot for a chart that stands alone (a figure file): one line per entry.
    static func appendLegend(_ entries: [ChartLegendEntry], to canvas: inout ChartCanvas) {
        guard !entries.isEmpty else { return }
        let top = canvas.height + 4
        canvas.grow(by: Double(entries.count) * 16 + 10)
        for (index, entry) in entries.enumerated() {
            let baseline = top + 12 + Double(index) * 16
            canvas.add(
                "<rect x=\"8\" y=\"\(ChartCanvas.number(baseline - 9))\" width=\"10\" height=\"10\" fill=\"\(entry.color)\""
                    + (entry.isShared ? " fill-opacity=\"0.5\"" : "") + "/>")
            let text = ChartText.fitted(entry.text, width: canvas.width - 32)
            canvas.text(text, x: 24, y: baseline, hover: entry.text)
        }
    }
}

/// One entry of a chart's key: a colour and what it stands for.
struct ChartLegendEntry: Hashable {
    var color: String
    var text: String
    /// The entry of lines shared by several rows.
    var isShared = false
}
