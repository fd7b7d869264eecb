/// Inline SVG sparklines, drawn on the server: no JavaScript, no external assets.
enum Sparkline {
    /// A polyline of `values` scaled into `width`×`height`, or an empty frame without data.
    static func svg(_ values: [Double], width: Int = 160, height: Int = 28) -> String {
        let frame = "<svg class=\"spark\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"message rate history\">"
        guard values.count >= 2 else {
            return frame + "<line x1=\"0\" y1=\"\(height - 1)\" x2=\"\(width)\" y2=\"\(height - 1)\" class=\"base\"/></svg>"
        }
        let top = max(values.max() ?? 0, 1e-9)
        let step = Double(width) / Double(values.count - 1)
        var points: [String] = []
        for (i, v) in values.enumerated() {
            let x = Double(i) * step
            let y = Double(height - 2) - (max(0, v) / top) * Double(height - 4)
            points.append("\(fmt(x)),\(fmt(y + 1))")
        }
        let area = "0,\(height) " + points.joined(separator: " ") + " \(width),\(height)"
        return frame + "<polygon points=\"\(area)\" class=\"fill\"/><polyline points=\"\(points.joined(separator: " "))\" class=\"line\"/></svg>"
    }

    static func fmt(_ v: Double) -> String {
        String(Double(Int(v * 10)) / 10)
    }
}
