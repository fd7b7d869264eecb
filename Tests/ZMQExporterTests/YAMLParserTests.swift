import Foundation
import Testing
@testable import ZMQExporter

/// The config's YAML reader (libyaml's events made into our tree) against PyYAML's pure-Python
/// composer (the node tree before any type resolution, so every scalar is text on both sides), and
/// its errors with where they point.
@Suite struct YAMLParserTests {
    /// Documents in the parts of YAML a config uses, including the awkward corners.
    static let documents: [String] = [
        "sockets:\n  - name: a\n    role: tap\n    bind: [tcp://127.0.0.1:5000]\n",
        "a: 1\nb:\n  c: 2\n  d: [x, y]\ne:\n- 1\n- 2\nf: last\n",
        "- a\n- - b\n  - c\n- d: 1\n  e: 2\n-\n  f: 3\n- \n",
        "k: {type: ROUTER, bind: [\"tcp://*:5555\", 'ipc:///tmp/x'], n: }\n",
        "k: [a, b, ]\nl: {a: 1,}\nm: []\nn: {}\n",
        "list: [a, {b: c}, [d, e], f: g]\n",
        "json: {\"a\":1, \"b\": [true, null]}\n",
        "plain: a value with spaces   # and a comment\nurl: http://x:80/y#frag\ncolon: a:b\n",
        "multi: first line\n  second line\n\n  after a gap\nnext: 1\n",
        "- first\n  continued\n- second\n",
        "dq: \"a\\tb\\n\\\"c\\\" \\u00e9 \\x41 \\U0001F600 \\\\ \\/\"\nsq: 'it''s # not a comment'\n",
        "fold: \"one\n  two\n\n  three\"\nsfold: 'a\n  b'\n",
        "lit: |\n  line 1\n  line 2\n\n    indented\nnext: x\n",
        "fold: >\n  one\n  two\n\n  three\n    more\n  four\n",
        "strip: |-\n  text\n\n\nkeep: |+\n  text\n\n\nclip: |\n  text\n\n\nend: 1\n",
        "explicit: |2\n    two more\n  base\n",
        "empty: |\nnext: 1\n",
        "base: &b [0.001, 0.01, 0.1]\nuse: *b\nmap: &m {x: 1}\nagain: *m\n",
        "? \n",
        "a: !!str 5\nb: !custom [1]\nc: &x !!int 7\nd: *x\n",
        "--- \nsockets: []\n...\n",
        "%YAML 1.2\n---\na: 1\n",
        "# only a comment\n\n   # another\nkey: value # trailing\n# end\n",
        "\"quoted key\": 1\n'single key': 2\nkey with spaces: 3\n",
        "a:\n  - x\n  - y\nb:\n- z\n",
        "x: -1\ny: -a\n",
        "top: 'multi\n\n  line'\n",
        "a: \"x\\\n  y\"\n",
        "k: v\r\nl: w\r\n",
        "\u{FEFF}bom: yes\n",
        "unicode: héllo wörld ✓\n'ключ': значение\n",
        "deep: [[[[[[1]]]]]]\n",
        "a:\n  b:\n    c:\n      d: e\n  f: g\n",
        "- [a, b]: c\n",
        "seq:\n  -   spaced\n  -  x\n",
    ]

    @Test func parsesLikePyYAML() throws {
        // "? \n" (an explicit key) is refused on purpose; everything else must match.
        let accepted = Self.documents.filter { $0 != "? \n" }
        let ours = try accepted.map { doc in try YAMLParser.parse(doc).map(Self.render) ?? "null" }
        let theirs = try Self.pyyamlCompose(accepted)
        try #require(theirs.count == accepted.count, "PyYAML answered \(theirs.count) of \(accepted.count) documents")
        for (i, doc) in accepted.enumerated() {
            #expect(ours[i] == theirs[i], "document \(i): \(doc.debugDescription)")
        }
    }

    @Test func refusesATabAfterAnEntryIndicatorAsLibyamlDoes() {
        // YAML 1.2 allows a tab as separation after "- "; libyaml and PyYAML (YAML 1.1) do not.
        #expect(throws: YAMLError(mark: YAMLMark(line: 1, column: 2),
                                  message: "a tab where YAML wants spaces (indentation, or after '- ' or '? '); use spaces")) {
            try YAMLParser.parse("-\ttabbed\n")
        }
    }

    @Test(arguments: ["? \n", "? a\n: b\n", "x: 1\n? y\n: 2\n", "{? a: b}\n", "- ? &k a\n  : b\n"])
    func refusesExplicitKeysAndSaysSo(_ yaml: String) {
        do {
            _ = try YAMLParser.parse(yaml)
            Issue.record("accepted an explicit key")
        } catch {
            #expect(error.message == "explicit keys ('? ') are not supported in a config")
        }
    }

    @Test func keysThatMerelyContainAQuestionMarkAreKeys() throws {
        let node = try #require(try YAMLParser.parse("?a: 1\nb?: 2\nc: what?\n\"?\": 3\n"))
        #expect(Self.render(node) == #"[["?a","1"],["b?","2"],["c","what?"],["?","3"]]"#)
    }

    @Test func scalarsKeepHowTheyWereWritten() throws {
        let node = try #require(try YAMLParser.parse("- ~\n- \"~\"\n- '~'\n- |\n  ~\n- >\n  ~\n- null\n- [x]\n"))
        guard case .sequence(let items) = node.kind else { Issue.record("not a list"); return }
        #expect(items.map(\.style) == [.plain, .doubleQuoted, .singleQuoted, .literal, .folded, .plain, .plain])
        #expect(items.map(\.isNull) == [true, false, false, false, false, true, false])
    }

    @Test func anAliasCannotNameTheNodeItIsIn() {
        #expect(throws: YAMLError(mark: YAMLMark(line: 1, column: 8), message: "alias '*x' names no anchor defined before it")) {
            try YAMLParser.parse("a: &x [*x]\n")
        }
    }

    @Test func aSecondDocumentIsRefusedAfterAnEndMarkerToo() {
        #expect(throws: YAMLError(mark: YAMLMark(line: 3, column: 1), message: "a second YAML document ('---'); the config is one document")) {
            try YAMLParser.parse("a: 1\n...\n---\nb: 2\n")
        }
    }

    @Test func emptyOrMarkerOnlyTextHoldsNoDocument() throws {
        for text in ["", "# only a comment\n", "---\n", "---", "\u{FEFF}"] {
            #expect(try YAMLParser.parse(text) == nil, "\(text.debugDescription)")
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        let yaml: String
        let line: Int
        let column: Int
        let message: String
        var testDescription: String { yaml.debugDescription }
    }

    static let bad: [Bad] = [
        Bad(yaml: "a: [1, 2\n", line: 1, column: 4, message: "the list '[...]' opened here is not closed"),
        Bad(yaml: "a: [\n", line: 1, column: 4, message: "the list '[...]' opened here is not closed"),
        Bad(yaml: "a: {\n  # {\n", line: 1, column: 4, message: "the mapping '{...}' opened here is not closed"),
        Bad(yaml: "a: {x: 1\n", line: 1, column: 4, message: "the mapping '{...}' opened here is not closed"),
        Bad(yaml: "a: {x: 1\nb: 2\n", line: 2, column: 2, message: "expected ',' or '}' in the mapping '{...}' opened at line 1, column 4"),
        Bad(yaml: "a: [\"1\" 2]\n", line: 1, column: 9, message: "expected ',' or ']' in the list '[...]' opened at line 1, column 4"),
        Bad(yaml: "a: \"open\n", line: 1, column: 4, message: "a double-quoted string is not closed"),
        Bad(yaml: "a: 'open\nb: 1\n", line: 1, column: 4, message: "a single-quoted string is not closed"),
        Bad(yaml: "a: b: c\n", line: 1, column: 5, message: valueNotAllowed),
        Bad(yaml: "a: 1\n  b: 2\n", line: 2, column: 4, message: valueNotAllowed),
        Bad(yaml: "a:\n  b: 1\n   c: 2\n", line: 3, column: 5, message: valueNotAllowed),
        Bad(yaml: "a:\n  b:\n    - 1\n   c: 2\n", line: 4, column: 4, message: "this line is indented more than the mapping around it (line 2)"),
        Bad(yaml: "a:\n\tb: 1\n", line: 2, column: 1, message: "a tab where YAML wants spaces (indentation, or after '- ' or '? '); use spaces"),
        Bad(yaml: "a: 1\nb\n", line: 2, column: 1, message: "expected a 'key: value' line (no ': ' after 'b')"),
        Bad(yaml: "a: 1\n- b\n", line: 2, column: 1, message: "a sequence entry ('- ') where a 'key: value' line was expected"),
        Bad(yaml: "a: - b\n", line: 1, column: 4, message: "a sequence cannot start on the same line as its key; put '- ' on the next line"),
        Bad(yaml: "a: *nothing\n", line: 1, column: 4, message: "alias '*nothing' names no anchor defined before it"),
        Bad(yaml: "a: \"\\q\"\n", line: 1, column: 5, message: "unknown escape '\\q' in a double-quoted string"),
        Bad(yaml: "a: \"\\u12\"\n", line: 1, column: 7, message: "an escape needs hexadecimal digits: 2 after '\\x', 4 after '\\u', 8 after '\\U'"),
        Bad(yaml: "a: 1\n---\nb: 2\n", line: 2, column: 1, message: "a second YAML document ('---'); the config is one document"),
        Bad(yaml: "a: @x\n", line: 1, column: 4, message: "'@' cannot start a plain value; quote it"),
        Bad(yaml: "a: [1, , 2]\n", line: 1, column: 8, message: "an empty entry (two commas in a row?)"),
        Bad(yaml: "a: [1]x\n", line: 1, column: 7, message: "unexpected text after a value"),
        Bad(yaml: "  a: 1\nb: 2\n", line: 2, column: 1, message: "this line's indentation matches no block above it"),
        Bad(yaml: "a: \"\u{1}\"\n", line: 1, column: 5, message: "control characters are not allowed"),
        Bad(yaml: "a: é\u{1}\n", line: 1, column: 5, message: "control characters are not allowed"),
    ]

    static let valueNotAllowed = "a mapping value (': ') is not allowed here: a second ': ' on one line, or a 'key: value' inside a value that spans lines? quote the value"

    @Test(arguments: bad)
    func errorsSayWhatAndWhere(_ c: Bad) {
        do {
            let node = try YAMLParser.parse(c.yaml)
            Issue.record("accepted: \(node.map(Self.render) ?? "nothing")")
        } catch {
            #expect(error == YAMLError(mark: YAMLMark(line: c.line, column: c.column), message: c.message))
        }
    }

    @Test func nestingIsBounded() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: YAMLError.self) { try YAMLParser.parse(deep) }
        var block = ""
        for level in 0..<200 { block += String(repeating: " ", count: level) + "k:\n" }
        #expect(throws: YAMLError.self) { try YAMLParser.parse(block) }
        let fine = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(try YAMLParser.parse(fine) != nil)
    }

    @Test func aliasesCannotExplode() {
        // Each level doubles: 2^40 nodes if expanded.
        var doc = "a0: &a0 [x, x]\n"
        for level in 1...40 { doc += "a\(level): &a\(level) [*a\(level - 1), *a\(level - 1)]\n" }
        do {
            _ = try YAMLParser.parse(doc)
            Issue.record("accepted a document of 2^40 nodes")
        } catch {
            #expect(error.message.contains("more than 1000000 nodes"))
        }
    }

    @Test func aLongLineOfManyNodesParses() throws {
        let items = (0..<200_000).map { "v\($0)" }.joined(separator: ", ")
        let node = try #require(try YAMLParser.parse("list: [\(items)]\n"))
        guard case .mapping(let pairs) = node.kind, case .sequence(let list) = pairs[0].value.kind else {
            Issue.record("not a mapping of a list")
            return
        }
        #expect(list.count == 200_000)
        #expect(list.last?.mark == YAMLMark(line: 1, column: 8 + items.count - "v199999".count))
    }

    @Test func marksPointAtNodes() throws {
        let node = try #require(try YAMLParser.parse("# c\nsockets:\n  - name: é\n    bind: [x, \"y\"]\n"))
        guard case .mapping(let top) = node.kind, case .sequence(let list) = top[0].value.kind,
              case .mapping(let socket) = list[0].kind, case .sequence(let bind) = socket[1].value.kind else {
            Issue.record("unexpected shape")
            return
        }
        #expect(node.mark == YAMLMark(line: 2, column: 1))
        #expect(list[0].mark == YAMLMark(line: 3, column: 5))
        #expect(socket[0].value.mark == YAMLMark(line: 3, column: 11))
        #expect(socket[1].value.mark == YAMLMark(line: 4, column: 11))
        #expect(bind[1].mark == YAMLMark(line: 4, column: 15))
    }

    // MARK: Helpers

    /// Our tree as JSON text: a scalar is a string, a sequence an array, a mapping an array of
    /// [key, value] pairs.
    static func render(_ node: YAMLNode) -> String {
        switch node.kind {
        case .scalar(let text): return json(text)
        case .sequence(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .mapping(let pairs): return "[" + pairs.map { "[\(render($0.key)),\(render($0.value))]" }.joined(separator: ",") + "]"
        }
    }

    /// A JSON string literal escaped as Python's `json.dumps` does by default (ASCII only).
    static func json(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20...0x7E: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }

    /// PyYAML's `compose` for each document, rendered like ``render(_:)``.
    /// With `tolerant`, a document PyYAML refuses gives "ERROR" instead of failing the run.
    static func pyyamlCompose(_ documents: [String], tolerant: Bool = false) throws -> [String] {
        let script = """
            import json, sys, yaml
            def render(node):
                if node is None: return "null"
                if isinstance(node, yaml.ScalarNode): return json.dumps(node.value)
                if isinstance(node, yaml.SequenceNode): return "[" + ",".join(render(n) for n in node.value) + "]"
                return "[" + ",".join("[" + render(k) + "," + render(v) + "]" for k, v in node.value) + "]"
            tolerant = sys.argv[1] == "1"
            for doc in json.load(sys.stdin):
                try:
                    print(render(yaml.compose(doc, Loader=yaml.SafeLoader)))
                except yaml.YAMLError:
                    if not tolerant: raise
                    print("ERROR")
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, tolerant ? "1" : "0"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: documents))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 with PyYAML failed")
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}

/// Random documents built from the YAML a config uses (nested block and flow collections, every
/// scalar style, comments, blank lines, anchors and aliases), each read by us and by PyYAML's
/// composer: the trees must match.
@Suite struct YAMLDifferentialTests {
    struct Generator {
        var state: UInt64
        var anchors: [String] = []

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
        mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }

        static let plains = ["abc", "tcp://127.0.0.1:5555", "5s", "-1", "a b c", "x:y", "url#frag", "true", "~",
                             "héllo wörld", "0.001", "ipc:///tmp/a b", "null", "-x", "a-b_c", "100ms"]
        static let keys = ["name", "role", "bind", "connect", "type", "labels", "buckets", "x y", "k1", "é"]

        mutating func scalar(inFlow: Bool) -> String {
            switch next() % 4 {
            case 0:
                return pick(Self.plains)
            case 1:
                return "'" + pick(["it''s", "a # b", "", " spaced ", "x: y", "[not flow]"]) + "'"
            case 2:
                return "\"" + pick(["tab\\there", "quote \\\" in", "\\u00e9\\x41", "", "a\\\\b", "line\\nbreak", "# x"]) + "\""
            default:
                return pick(Self.plains)
            }
        }

        mutating func flow(depth: Int) -> String {
            if depth > 2 || chance(50) { return scalar(inFlow: true) }
            if chance(50) {
                let items = (0..<Int(next() % 4)).map { _ in flow(depth: depth + 1) }
                return "[" + items.joined(separator: pick([", ", ",", " , "])) + (chance(20) && !items.isEmpty ? ", " : "") + "]"
            }
            let pairs = (0..<Int(next() % 4)).map { i in "k\(i): " + flow(depth: depth + 1) }
            return "{" + pairs.joined(separator: ", ") + "}"
        }

        /// A value after "key:" or "-" at `indent` (the key's or the dash's indentation),
        /// including its line break(s).
        mutating func blockValue(indent: Int, depth: Int, inSequence: Bool) -> String {
            let pad = String(repeating: " ", count: indent + 2)
            let comment = chance(20) ? " # note" : ""
            let anchorName = chance(10) ? "a\(anchors.count)" : nil
            let anchor = anchorName.map { " &\($0)" } ?? ""
            let body: String
            if !anchors.isEmpty && anchorName == nil && chance(8) {
                body = " *" + pick(anchors) + comment + "\n"
            } else {
                switch depth > 2 ? next() % 3 : next() % 7 {
                case 0, 1: body = anchor + " " + scalar(inFlow: false) + comment + "\n"
                case 2: body = anchor + " " + flow(depth: 0) + comment + "\n"
                case 3:
                    let style = pick(["|", ">", "|-", ">-", "|+"])
                    var lines = [pad + pick(["text", "more text", "x: y # z"])]
                    for _ in 0..<Int(next() % 3) { lines.append(pad + pick(["text", "more text", "  deeper", "", "x: y # z"])) }
                    body = anchor + " " + style + comment + "\n" + lines.joined(separator: "\n") + "\n"
                case 4:
                    body = anchor + comment + "\n" + blockMapping(indent: indent + 2, depth: depth + 1)
                case 5:
                    // A list under a key may sit at the key's own indentation; under a dash it may not.
                    let listIndent = !inSequence && chance(50) ? indent : indent + 2
                    body = anchor + comment + "\n" + blockSequence(indent: listIndent, depth: depth + 1)
                default:
                    body = anchor + comment + "\n"  // empty value
                }
            }
            if let anchorName { anchors.append(anchorName) }
            return body
        }

        mutating func blockMapping(indent: Int, depth: Int) -> String {
            let pad = String(repeating: " ", count: indent)
            var out = ""
            var used = Set<String>()
            for entry in 0..<Int(1 + next() % 3) {
                var key = pick(Self.keys)
                while used.contains(key) { key += "2" }
                used.insert(key)
                let written = key.contains(" ") && chance(50) ? "\"\(key)\"" : key
                // Not before the first key: a "- " entry puts that key on the dash's line.
                if entry > 0 && chance(10) { out += "\n" }
                if entry > 0 && chance(10) { out += pad + "# a comment\n" }
                out += pad + written + ":" + blockValue(indent: indent, depth: depth, inSequence: false)
            }
            return out
        }

        mutating func blockSequence(indent: Int, depth: Int) -> String {
            let pad = String(repeating: " ", count: indent)
            var out = ""
            for _ in 0..<Int(1 + next() % 3) {
                if depth < 3 && chance(40) {
                    // "- key: value" with the rest of the mapping two columns in.
                    let mapping = blockMapping(indent: indent + 2, depth: depth + 1)
                    out += pad + "- " + mapping.dropFirst(indent + 2)
                } else {
                    out += pad + "-" + blockValue(indent: indent, depth: depth + 1, inSequence: true)
                }
            }
            return out
        }
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func randomDocumentsParseLikePyYAML(seed: UInt64) throws {
        var generator = Generator(state: seed)
        var documents: [String] = []
        for _ in 0..<250 {
            generator.anchors = []
            documents.append(generator.blockMapping(indent: 0, depth: 0))
        }
        let theirs = try YAMLParserTests.pyyamlCompose(documents, tolerant: true)
        try #require(theirs.count == documents.count)
        var compared = 0
        for (doc, expected) in zip(documents, theirs) where expected != "ERROR" {
            compared += 1
            do {
                let ours = try YAMLParser.parse(doc).map(YAMLParserTests.render) ?? "null"
                #expect(ours == expected, "\(doc.debugDescription)")
            } catch {
                Issue.record("we refused what PyYAML reads: \(error.mark.line):\(error.mark.column) \(error.message)\n\(doc)")
            }
        }
        // Most generated documents must be valid YAML, or the comparison says little.
        #expect(compared >= documents.count * 9 / 10, "PyYAML refused \(documents.count - compared) of \(documents.count)")
    }
}
