/// One metric against another, a point per row: Kirk et al.'s generalisation against diversity.
/// Each point is labelled where its label fits — beside, above or below it, inside the chart,
/// clear of every other label and point — with its number from the key where the whole label
/// does not fit, and not at all where neither does (its hover and colour still name it).
enum ScatterChart {
    struct Point {
        var number: Int
        var label: String
        var color: String
        var x: Double
        var y: Double
    }

    static let radius = 5.0

    static func draw(title: String, xTitle: String, points: [Point]) -> ChartCanvas {
        let x = ChartScale(covering: padded(points.map(\.x)))
        let y = ChartScale(covering: padded(points.map(\.y)))
        var canvas = ChartAxes.canvas(title: title, y: y, x: .scale(x), xTitle: xTitle)
        let plot = canvas.plot
        let n = ChartCanvas.number
        let placed = points.map { point in
            (point, x: x.position(point.x, from: plot.left, to: plot.right), y: y.position(point.y, from: plot.bottom, to: plot.top))
        }
        // Every point is an obstacle before any label is placed, so that no label covers one.
        for (_, px, py) in placed {
            canvas.addObstacle(ChartBox(left: px - radius, top: py - radius, right: px + radius, bottom: py + radius))
        }
        for (point, px, py) in placed {
            canvas.add(
                "<circle class=\"point\" cx=\"\(n(px))\" cy=\"\(n(py))\" r=\"\(n(radius))\" fill=\"\(point.color)\" fill-opacity=\"0.85\">"
                    + "<title>\(escape(point.label)): \(ChartScale.hover(point.x)), \(ChartScale.hover(point.y))</title></circle>")
        }
        // The labels of the points nearest the top first: they have the least room.
        for (point, px, py) in placed.sorted(by: { $0.y < $1.y }) {
            for text in [point.label, String(point.number)] {
                if let spot = spot(for: text, x: px, y: py, on: canvas) {
                    canvas.text(text, x: spot.x, y: spot.y, anchor: spot.anchor, hover: point.label)
                    break
                }
            }
        }
        return canvas
    }

    /// The values and a twentieth of their span beyond each end, so that no point sits on an axis.
    private static func padded(_ values: [Double]) -> [Double] {
        guard let low = values.min(), let high = values.max(), high > low else { return values }
        return values + [low - (high - low) / 20, high + (high - low) / 20]
    }

    /// The first free place for a label around a point: right, left, above, below, then the
    /// diagonals.
    private static func spot(for text: String, x: Double, y: Double, on canvas: ChartCanvas) -> (x: Double, y: Double, anchor: TextAnchor)? {
        let gap = radius + 3
        let candidates: [(Double, Double, TextAnchor)] = [
            (x + gap, y + 4, .start), (x - gap, y + 4, .end), (x, y - gap - 2, .middle), (x, y + gap + 9, .middle),
            (x + gap, y - gap, .start), (x + gap, y + gap + 7, .start), (x - gap, y - gap, .end), (x - gap, y + gap + 7, .end),
        ]
        for (cx, cy, anchor) in candidates {
            let box = ChartCanvas.box(of: text, x: cx, y: cy, anchor: anchor)
            if box.isInside(canvas.plot.padded(-1)) && canvas.isFree(box) { return (cx, cy, anchor) }
        }
        return nil
    }
}
