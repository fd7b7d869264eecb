/// The little Markdown the runbooks use, as HTML: `#` headings (with the ids GitHub gives them,
/// so `#zeromqsocketdown` works on the agent as on GitHub), paragraphs, `-` lists with wrapped
/// lines, fenced code blocks, and inline `code`, **bold** and [links](url). Everything else is
/// escaped text.
enum Markdown {
    static func html(_ text: String) -> String {
        var out = ""
        var paragraph: [String] = []
        var items: [String] = []
        var code: [String]?

        func flushParagraph() {
            if !paragraph.isEmpty { out += "<p>" + inline(paragraph.joined(separator: " ")) + "</p>\n" }
            paragraph = []
        }
        func flushList() {
            if !items.isEmpty { out += "<ul>" + items.map { "<li>" + inline($0) + "</li>" }.joined() + "</ul>\n" }
            items = []
        }

        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if var block = code {
                if line.hasPrefix("```") {
                    out += "<pre><code>" + LandingPage.escape(block.joined(separator: "\n")) + "</code></pre>\n"
                    code = nil
                } else {
                    block.append(line)
                    code = block
                }
                continue
            }
            let trimmed = line.drop { $0 == " " }
            if line.hasPrefix("```") {
                flushParagraph(); flushList()
                code = []
            } else if let level = headingLevel(line) {
                flushParagraph(); flushList()
                let title = String(line.dropFirst(level + 1))
                out += "<h\(level) id=\"\(anchor(title))\">" + inline(title) + "</h\(level)>\n"
            } else if trimmed.hasPrefix("- ") {
                flushParagraph()
                items.append(String(trimmed.dropFirst(2)))
            } else if trimmed.isEmpty {
                flushParagraph(); flushList()
            } else if !items.isEmpty && line.hasPrefix(" ") {
                items[items.count - 1] += " " + trimmed
            } else {
                flushList()
                paragraph.append(String(trimmed))
            }
        }
        if let block = code { out += "<pre><code>" + LandingPage.escape(block.joined(separator: "\n")) + "</code></pre>\n" }
        flushParagraph(); flushList()
        return out
    }

    static func headingLevel(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...4).contains(hashes), line.dropFirst(hashes).hasPrefix(" ") else { return nil }
        return hashes
    }

    /// GitHub's heading id: lower case, punctuation other than `-` and `_` dropped, spaces to `-`.
    static func anchor(_ title: String) -> String {
        String(title.lowercased().compactMap { c -> Character? in
            if c == " " { return "-" }
            return c.isLetter || c.isNumber || c == "-" || c == "_" ? c : nil
        })
    }

    /// `code`, **bold** and [text](url) inside escaped text.
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let c = rest.first {
            if c == "`", let end = rest.dropFirst().firstIndex(of: "`") {
                out += "<code>" + LandingPage.escape(String(rest[rest.index(after: rest.startIndex)..<end])) + "</code>"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("**"), let end = rest.dropFirst(2).firstRange(of: "**") {
                out += "<b>" + inline(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound])) + "</b>"
                rest = rest[end.upperBound...]
            } else if c == "[", let close = rest.firstIndex(of: "]"), rest[rest.index(after: close)...].hasPrefix("("),
                      let paren = rest[close...].firstIndex(of: ")") {
                let label = String(rest[rest.index(after: rest.startIndex)..<close])
                let url = String(rest[rest.index(close, offsetBy: 2)..<paren])
                out += "<a href=\"\(LandingPage.escape(url))\">" + inline(label) + "</a>"
                rest = rest[rest.index(after: paren)...]
            } else {
                out += LandingPage.escape(String(c))
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
