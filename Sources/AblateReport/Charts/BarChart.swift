/// One column of the table: a bar per row in the row's colour, numbered as in the key, with
/// its 95% interval (or standard error) as an error bar.
enum BarChart {
    struct Bar {
        /// The row's number in the key.
        var number: Int
        var label: String
        var color: String
        var value: Double?
        /// The error bar's ends; nil without one.
        var low: Double?
        var high: Double?
    }

    static func draw(title: String, bars: [Bar]) -> ChartCanvas {
        let values = bars.compactMap(\.value)
        let ends = bars.flatMap { [$0.low, $0.high].compactMap { $0 } }
        let y = ChartScale(covering: values, including: ends + [0])
        var canvas = ChartAxes.canvas(title: title, y: y, x: .slots(bars.map { String($0.number) }), xTitle: nil)
        let plot = canvas.plot
        let n = ChartCanvas.number
        let slot = (plot.right - plot.left) / Double(max(bars.count, 1))
        let zero = y.position(0, from: plot.bottom, to: plot.top)
        for (index, bar) in bars.enumerated() {
            let center = plot.left + slot * (Double(index) + 0.5)
            let barWidth = max(slot * 0.7, 1)
            guard let value = bar.value else {
                // A missing value: a grey cross on the axis, named on hover.
                let arm = min(barWidth / 2, 4)
                canvas.add(
                    "<path class=\"missing\" d=\"M\(n(center - arm)) \(n(zero - arm))L\(n(center + arm)) \(n(zero + arm))M\(n(center - arm)) \(n(zero + arm))L\(n(center + arm)) \(n(zero - arm))\" stroke=\"#999\"><title>\(escape(bar.label)): missing</title></path>"
                )
                continue
            }
            let top = y.position(value, from: plot.bottom, to: plot.top)
            var hover = "\(bar.label): \(ChartScale.hover(value))"
            if let low = bar.low, let high = bar.high { hover += " [\(ChartScale.hover(low)), \(ChartScale.hover(high))]" }
            canvas.add(
                "<rect class=\"bar\" x=\"\(n(center - barWidth / 2))\" y=\"\(n(min(top, zero)))\" width=\"\(n(barWidth))\" height=\"\(n(abs(zero - top)))\" fill=\"\(bar.color)\"><title>\(escape(hover))</title></rect>"
            )
            if let low = bar.low, let high = bar.high {
                let lowY = y.position(low, from: plot.bottom, to: plot.top)
                let highY = y.position(high, from: plot.bottom, to: plot.top)
                let cap = max(barWidth * 0.2, 2)
                canvas.add(
                    "<path class=\"error-bar\" d=\"M\(n(center)) \(n(lowY))V\(n(highY))M\(n(center - cap)) \(n(lowY))H\(n(center + cap))M\(n(center - cap)) \(n(highY))H\(n(center + cap))\" stroke=\"#222\" fill=\"none\"><title>\(escape(hover))</title></path>"
                )
            }
        }
        return canvas
    }
}
