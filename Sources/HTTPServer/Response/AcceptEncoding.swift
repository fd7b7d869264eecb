/// Reads `Accept-Encoding` (RFC 9110 §12.5.3) for one question: may the body be gzipped?
enum AcceptEncoding {
    /// True when gzip (or x-gzip) has q > 0, or is not listed and "*" has q > 0.
    static func allowsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        var gzip: Double?
        var wildcard: Double?
        for element in header.split(separator: ",") {
            let parts = element.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.trimmingSpacesAndTabs().lowercasedASCII
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, pair[0].trimmingSpacesAndTabs().lowercasedASCII == "q" else { continue }
                // A malformed q-value makes the element unusable; treating it as 0 is the safe side.
                quality = parseQuality(pair[1].trimmingSpacesAndTabs()) ?? 0
            }
            switch coding {
            case "gzip", "x-gzip": gzip = max(gzip ?? 0, quality)
            case "*": wildcard = quality
            default: break
            }
        }
        if let gzip { return gzip > 0 }
        return (wildcard ?? 0) > 0
    }

    /// qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
    static func parseQuality(_ text: String) -> Double? {
        guard let value = Double(text), value >= 0, value <= 1, text.utf8.count <= 5 else { return nil }
        return value
    }
}

extension Substring {
    func trimmingSpacesAndTabs() -> String { String(self).trimmingSpacesAndTabs() }
}

extension String {
    var lowercasedASCII: String { String(decoding: utf8.map(asciiLower), as: UTF8.self) }
}
