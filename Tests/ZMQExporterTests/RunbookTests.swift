import Foundation
import Testing
@testable import ZMQExporter

/// `/runbooks`: the built-in text is docs/runbooks.md, and every alert has its anchor.
@Suite struct RunbookTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func builtInTextIsDocsRunbooksByteForByte() throws {
        let file = try String(contentsOf: Self.repo.appendingPathComponent("docs/runbooks.md"), encoding: .utf8)
        #expect(Runbooks.text == file, "docs/runbooks.md changed: run scripts/embed-runbooks.py")
    }

    @Test func everyAlertOfTheRulesHasItsAnchor() throws {
        let rules = try String(contentsOf: Self.repo.appendingPathComponent("alerts/zeromq.rules.yml"), encoding: .utf8)
        let names = rules.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            return trimmed.hasPrefix("- alert: ") ? String(trimmed.dropFirst(9)) : nil
        }
        #expect(names.count > 10)
        let page = RunbookPage.render()
        for name in names {
            #expect(page.contains("<h2 id=\"\(name.lowercased())\">\(name)</h2>"), "\(name)")
        }
    }

    @Test func markdownBlocksAndInlines() {
        let html = Markdown.html("""
            # Title: one

            A **bold** `a<b>` and [link](http://x/y).
            continued.

            - item one
              wrapped
            - item two

            ```
            code <here>
            ```
            """)
        #expect(html == """
            <h1 id="title-one">Title: one</h1>
            <p>A <b>bold</b> <code>a&lt;b&gt;</code> and <a href="http://x/y">link</a>. continued.</p>
            <ul><li>item one wrapped</li><li>item two</li></ul>
            <pre><code>code &lt;here&gt;</code></pre>

            """)
    }
}
