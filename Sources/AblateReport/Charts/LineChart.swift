/// A metric over training steps: one line per task, each point with its value on hover.
enum LineChart {
    /// One task's points.
    struct Line {
        var label: String
        var color: String
        /// Drawn dashed: a task that several rows share.
        var isShared: Bool
        var points: [(step: Int, value: Double)]
    }

    /// The most points a line keeps: a longer series is thinned evenly (its last point kept),
    /// so that every point drawn can carry its value.
    static let maximumPoints = 80

    static func draw(title: String, lines: [Line]) -> ChartCanvas {
        let thinned = lines.map { line -> Line in
            var line = line
            line.points = thin(line.points.filter { $0.value.isFinite })
            return line
        }
        let x = ChartScale(covering: thinned.flatMap { $0.points.map { Double($0.step) } })
        let y = ChartScale(covering: thinned.flatMap { $0.points.map(\.value) })
        var canvas = ChartAxes.canvas(title: title, y: y, x: .scale(x), xTitle: "step")
        let plot = canvas.plot
        let n = ChartCanvas.number
        // Shared lines first, so that each row's own lines are drawn over them.
        for line in thinned.sorted(by: { $0.isShared && !$1.isShared }) where !line.points.isEmpty {
            let positions = line.points.map {
                (x: x.position(Double($0.step), from: plot.left, to: plot.right), y: y.position($0.value, from: plot.bottom, to: plot.top))
            }
            canvas.add(
                "<polyline class=\"series\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.5\""
                    + (line.isShared ? " stroke-dasharray=\"5 3\"" : "") + " points=\""
                    + positions.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ") + "\"><title>\(escape(line.label))</title></polyline>")
            for (point, position) in zip(line.points, positions) {
                canvas.add(
                    "<circle class=\"point\" cx=\"\(n(position.x))\" cy=\"\(n(position.y))\" r=\"2.5\" fill=\"\(line.color)\">"
                        + "<title>\(escape(line.label)) — step \(point.step): \(ChartScale.hover(point.value))</title></circle>")
            }
        }
        return canvas
    }

    static func thin(_ points: [(step: Int, value: Double)]) -> [(step: Int, value: Double)] {
        guard points.count > maximumPoints else { return points }
        let stride = Double(points.count - 1) / Double(maximumPoints - 1)
        return (0..<maximumPoints).map { points[Int((Double($0) * stride).rounded())] }
    }
}
