import Testing
@testable import ZMQExporter

/// The tap's JSON scanner on bytes: what it extracts, what it rejects, and where.
@Suite struct JSONFieldScannerTests {
    let scanner = JSONFieldScanner(fields: ["event", "time", "n"])

    func scan(_ text: String) throws(JSONFieldScanner.Invalid) -> [JSONFieldScanner.Value?] {
        try scanner.scan(Array(text.utf8))
    }

    @Test func extractsTopLevelScalars() throws {
        let values = try scan(#" { "event" : "login", "user": {"event": "nested"}, "time": 1712345678.25, "n": null } "#)
        #expect(values == [.string("login"), .number("1712345678.25", 1712345678.25), .null])
    }

    @Test func missingFieldsAreNilAndFirstOccurrenceWins() throws {
        #expect(try scan(#"{"other": 1}"#) == [nil, nil, nil])
        #expect(try scan(#"{"event": "a", "event": "b"}"#) == [.string("a"), nil, nil])
        #expect(try scan(#"{"event": true, "n": false, "time": [1, 2]}"#) == [.bool(true), .composite, .bool(false)])
    }

    @Test func nonObjectDocumentsAreValidButHaveNoFields() throws {
        for text in [#""just a string""#, "42", "[1, {\"event\": 2}]", "true", "null", "  -0.5e-3  "] {
            #expect(try scan(text) == [nil, nil, nil], "\(text)")
        }
    }

    @Test(arguments: [
        ("-0", -0.0), ("0", 0), ("12", 12), ("-7.5", -7.5), ("1e3", 1000), ("2.5E-2", 0.025), ("1E+2", 100),
    ])
    func numbers(text: String, value: Double) throws {
        #expect(try scan(#"{"n": \#(text)}"#)[2] == .number(text, value))
    }

    @Test(arguments: ["01", "1.", ".5", "+1", "1e", "1e+", "- 1", "0x10", "NaN", "Infinity"])
    func invalidNumbers(text: String) {
        #expect(throws: JSONFieldScanner.Invalid.self, "\(text)") { try scan(#"{"n": \#(text)}"#) }
    }

    @Test func escapesAreDecoded() throws {
        let values = try scan(#"{"event": "a\"b\\c\/d\n\t\u00e9\ud83d\ude00"}"#)
        #expect(values[0] == .string("a\"b\\c/d\n\té😀"))
    }

    @Test func escapedKeysAreValidatedButNotMatched() throws {
        // The scanner matches plain keys only; an escaped spelling of "event" is skipped, not an error.
        #expect(try scan(#"{"ev\u0065nt": "x", "time": 1}"#) == [nil, .number("1", 1), nil])
    }

    @Test(arguments: [
        ("", "expected a value"),
        ("{", "expected a field name"),
        (#"{"event": "unterminated}"#, "unterminated string"),
        (#"{"event" "x"}"#, "expected ':' after a field name"),
        (#"{"event": "x",}"#, "expected a field name"),
        (#"{"event": "x"} trailing"#, "trailing bytes after the JSON value"),
        (#"{"event": "bad \q escape"}"#, "bad escape"),
        (#"{"event": "\u12G4"}"#, #"bad \u escape"#),
        ("{\"event\": \"tab\there\"}", "control character in a string"),
        (#"{"event": tru}"#, "invalid literal"),
        (#"{"a": [1, 2}"#, "expected ',' or ']'"),
        ("not json", "invalid literal"),
        (#"{'event': 1}"#, "expected a field name"),
    ])
    func invalidDocuments(text: String, reason: String) {
        #expect(throws: JSONFieldScanner.Invalid.self, "\(text)") { try scan(text) }
        do {
            _ = try scan(text)
        } catch {
            #expect(error.reason == reason, "\(text)")
            #expect(error.offset >= 0 && error.offset <= text.utf8.count)
        }
    }

    @Test func nestingUpToTheLimitIsAcceptedAndBeyondRejected() throws {
        let depth = JSONFieldScanner.maxDepth
        // The top-level object is depth 0; values inside it start at depth 1.
        let deepest = #"{"x": "# + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + #", "n": 1}"#
        #expect(try scan(deepest) == [nil, nil, .number("1", 1)])
        let tooDeep = #"{"x": "# + String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1) + "}"
        #expect(throws: JSONFieldScanner.Invalid.self) { try scan(tooDeep) }
        // Deep nesting must be refused without recursing into it: a megabyte of brackets is fine.
        let huge = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONFieldScanner.Invalid.self) { try scan(huge) }
    }

    @Test func errorOffsetsPointAtTheProblem() {
        do {
            _ = try scan(#"{"event": "x" "time": 1}"#)
            Issue.record("accepted a missing comma")
        } catch {
            #expect(error.offset == 14)
        }
    }
}
