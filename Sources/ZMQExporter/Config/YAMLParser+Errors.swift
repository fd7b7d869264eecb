import CYAML

/// libyaml's problems in the words a config's author needs (what is wrong and what to do,
/// pointing at the opening bracket or quote when the problem is that it is never closed), and
/// the one refusal libyaml's events cannot express.
extension YAMLParser {
    mutating func failure(_ parser: yaml_parser_t) -> YAMLError {
        let problem = parser.problem.map { String(cString: $0) } ?? "libyaml failed (out of memory?)"
        if parser.error == YAML_READER_ERROR {
            // The reader reports a byte offset, not a mark: invalid UTF-8 or a control character.
            return YAMLError(mark: mark(atByte: Int(parser.problem_offset)), message: problem)
        }
        let context = parser.context.map { String(cString: $0) } ?? ""
        let here = YAMLMark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        let opened = YAMLMark(line: Int(parser.context_mark.line) + 1, column: Int(parser.context_mark.column) + 1)
        let contextOffset = offset(of: Int(parser.context_mark.index))
        let problemOffset = offset(of: Int(parser.problem_mark.index))
        let atEnd = problemOffset >= text.count
        let byte = atEnd ? 0 : text[problemOffset]
        switch problem {
        case "did not find expected ',' or ']'", "did not find expected ',' or '}'":
            let (name, close) = problem.hasSuffix("']'") ? ("list '[...]'", "]") : ("mapping '{...}'", "}")
            if atEnd { return YAMLError(mark: opened, message: "the \(name) opened here is not closed") }
            return YAMLError(mark: here, message: "expected ',' or '\(close)' in the \(name) opened at line \(opened.line), column \(opened.column)")
        case "found unexpected end of stream" where context == "while scanning a quoted scalar":
            let quote = contextOffset < text.count && text[contextOffset] == UInt8(ascii: "'") ? "single" : "double"
            return YAMLError(mark: opened, message: "a \(quote)-quoted string is not closed")
        case "mapping values are not allowed in this context":
            return YAMLError(mark: here, message: "a mapping value (': ') is not allowed here: a second ': ' on one line, or a 'key: value' inside a value that spans lines? quote the value")
        case "did not find expected key" where byte == UInt8(ascii: "-"):
            return YAMLError(mark: here, message: "a sequence entry ('- ') where a 'key: value' line was expected")
        case "did not find expected key" where text[..<problemOffset].last(where: { $0 != UInt8(ascii: " ") }).map { $0 == UInt8(ascii: "\n") } ?? true:
            return YAMLError(mark: here, message: "this line is indented more than the mapping around it (line \(opened.line))")
        case "did not find expected key":
            return YAMLError(mark: here, message: "unexpected text after a value")
        case "could not find expected ':'":
            let key = text[contextOffset...].prefix { $0 != UInt8(ascii: "\n") && $0 != UInt8(ascii: "\r") }.prefix(40)
            return YAMLError(mark: opened, message: "expected a 'key: value' line (no ': ' after '\(String(decoding: key, as: UTF8.self))')")
        case "block sequence entries are not allowed in this context":
            return YAMLError(mark: here, message: "a sequence cannot start on the same line as its key; put '- ' on the next line")
        case "found unknown escape character":
            let code = String(decoding: text[min(problemOffset + 1, text.count)...].prefix(4), as: UTF8.self).first.map(String.init) ?? ""
            return YAMLError(mark: here, message: "unknown escape '\\\(code)' in a double-quoted string")
        case "did not find expected hexdecimal number":
            return YAMLError(mark: here, message: "an escape needs hexadecimal digits: 2 after '\\x', 4 after '\\u', 8 after '\\U'")
        case "found character that cannot start any token" where byte == UInt8(ascii: "\t"):
            return YAMLError(mark: here, message: "a tab where YAML wants spaces (indentation, or after '- ' or '? '); use spaces")
        case "found character that cannot start any token":
            let character = String(decoding: text[problemOffset...].prefix(4), as: UTF8.self).first.map(String.init) ?? ""
            return YAMLError(mark: here, message: "'\(character)' cannot start a plain value; quote it")
        case "did not find expected <document start>":
            return YAMLError(mark: here, message: "this line's indentation matches no block above it")
        case "did not find expected node content" where atEnd:
            // The file ended inside a flow collection whose value never came: `key: [`.
            if let open = lastUnclosedBracket() {
                let name = text[open] == UInt8(ascii: "[") ? "list '[...]'" : "mapping '{...}'"
                return YAMLError(mark: mark(atByte: open), message: "the \(name) opened here is not closed")
            }
            return YAMLError(mark: here, message: "expected a value here")
        case "did not find expected node content":
            return YAMLError(mark: here, message: byte == UInt8(ascii: ",") ? "an empty entry (two commas in a row?)" : "expected a value here")
        default:
            let after = context.isEmpty ? "" : " (\(context) at line \(opened.line), column \(opened.column))"
            return YAMLError(mark: here, message: problem + after)
        }
    }

    /// libyaml reads `? key` as an ordinary key; a config has no use for it, so it is refused
    /// when the text just before a mapping key is a `?` indicator.
    mutating func refuseExplicitKey(at mark: yaml_mark_t, in open: [Open]) throws(YAMLError) {
        guard let parent = open.last, parent.isMapping, parent.items.count % 2 == 0 else { return }
        let key = offset(of: Int(mark.index))
        var before = key
        while before > 0, text[before - 1] == UInt8(ascii: " ") || text[before - 1] == UInt8(ascii: "\t") { before -= 1 }
        guard before > 0, text[before - 1] == UInt8(ascii: "?") else { return }
        guard before == 1 || [UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"),
                               UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: ",")].contains(text[before - 2]) else { return }
        throw YAMLError(mark: YAMLMark(line: Int(mark.line) + 1, column: Int(mark.column) + 1 - (key - before + 1)),
                        message: "explicit keys ('? ') are not supported in a config")
    }

    /// The byte offset of libyaml's character index `index` (at most the text's length). Marks
    /// arrive in order, so walking on from the last one costs the text's length once in all.
    mutating func offset(of index: Int) -> Int {
        if index < cursor.index { cursor = (0, 0) }
        while cursor.index < index, cursor.offset < text.count {
            cursor.offset += 1
            while cursor.offset < text.count, text[cursor.offset] & 0xC0 == 0x80 { cursor.offset += 1 }
            cursor.index += 1
        }
        return cursor.offset
    }

    /// The line and column (in characters) of byte `offset` of the text.
    func mark(atByte offset: Int) -> YAMLMark {
        let before = text[..<min(max(0, offset), text.count)]
        let line = before.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = before[lineStart...].reduce(1) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) }
        return YAMLMark(line: line, column: column)
    }

    /// The byte offset of the last `[` or `{` outside quotes and comments that no bracket
    /// closes, or nil.
    func lastUnclosedBracket() -> Int? {
        var open: [Int] = []
        var quote: UInt8?
        var comment = false
        for (index, byte) in text.enumerated() {
            if comment {
                if byte == UInt8(ascii: "\n") { comment = false }
                continue
            }
            if let q = quote {
                if byte == q { quote = nil }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"): quote = byte
            case UInt8(ascii: "#") where index == 0 || text[index - 1] == UInt8(ascii: " ") || text[index - 1] == UInt8(ascii: "\n"): comment = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): open.append(index)
            case UInt8(ascii: "]"), UInt8(ascii: "}"): _ = open.popLast()
            default: break
            }
        }
        return open.last
    }
}
