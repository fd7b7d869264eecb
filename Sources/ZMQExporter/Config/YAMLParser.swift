/// Reads one YAML document into ``YAMLNode``s: block and flow mappings and sequences, plain,
/// quoted and block (`|`, `>`) scalars, comments, anchors and aliases, and tags (read, not kept).
///
/// It is ours rather than a library because the libraries pull in Foundation and ICU (their
/// scalar resolvers are regular expressions), which tripled the agent's resident memory; a
/// config needs only the text of each scalar. Explicit keys (`? `), several documents in one
/// file and tabs in indentation are refused with a message that says so.
struct YAMLParser {
    static let maxDepth = 64
    /// Nodes a document may expand to through aliases (`&a [*b, *b, ...]` nests exponentially).
    static let maxWeight = 1_000_000

    private let text: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private var depth = 0
    private var anchors: [String: YAMLNode] = [:]

    /// The document's root, or nil when the text holds no document (empty, or only comments).
    static func parse(_ source: String) throws(YAMLError) -> YAMLNode? {
        var parser = YAMLParser(source)
        return try parser.document()
    }

    private init(_ source: String) {
        var bytes = Array(source.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        // CR LF and lone CR end lines like LF.
        if bytes.contains(UInt8(ascii: "\r")) {
            var unified: [UInt8] = []
            unified.reserveCapacity(bytes.count)
            for (i, byte) in bytes.enumerated() where byte != UInt8(ascii: "\r") || i + 1 == bytes.count || bytes[i + 1] != UInt8(ascii: "\n") {
                unified.append(byte == UInt8(ascii: "\r") ? UInt8(ascii: "\n") : byte)
            }
            bytes = unified
        }
        text = bytes
    }

    // MARK: Document

    private mutating func document() throws(YAMLError) -> YAMLNode? {
        try skipToContent()
        while atLineStart, peek() == UInt8(ascii: "%") {
            skipLine()
            try skipToContent()
        }
        if atDocumentMarker("---") { index += 3 }
        try skipToContent()
        var root: YAMLNode?
        if !atDocumentEnd {
            root = try blockNode(parentIndent: -1, inMappingValue: false)
            try skipToContent()
        }
        if atDocumentMarker("...") {
            index += 3
            try skipToContent()
        }
        if atDocumentMarker("---") {
            throw fail("a second YAML document ('---'); the config is one document")
        }
        if !atEnd {
            throw fail(indentOfLine != nil ? "this line's indentation matches no block above it" : "unexpected text after a value")
        }
        return root
    }

    // MARK: Block context

    /// The node after an indicator (`key:`, `- `) or at the start of the document: on the same
    /// line, on the lines below indented more than `parentIndent`, or empty.
    private mutating func blockNode(parentIndent: Int, inMappingValue: Bool) throws(YAMLError) -> YAMLNode {
        try enter()
        defer { depth -= 1 }
        let emptyMark = here()
        skipBlanks()
        var anchor: String?
        while let byte = peek(), byte == UInt8(ascii: "&") || byte == UInt8(ascii: "!") {
            if byte == UInt8(ascii: "&") { anchor = try anchorName() } else { try skipTag() }
            skipBlanks()
        }
        let node: YAMLNode
        if atLineEnd {
            try skipToContent()
            if !atDocumentEnd, let indent = indentOfLine,
               indent > parentIndent || (inMappingValue && indent == parentIndent && atSequenceEntry) {
                node = try blockContent(indent: indent, parentIndent: parentIndent)
            } else {
                node = YAMLNode(.scalar(""), at: emptyMark)
            }
        } else if atSequenceEntry {
            guard !inMappingValue else { throw fail("a sequence cannot start on the same line as its key; put '- ' on the next line") }
            node = try blockSequence(indent: offsetInLine)
        } else if peek() == UInt8(ascii: "|") || peek() == UInt8(ascii: ">") {
            node = try blockScalar(parentIndent: parentIndent)
        } else {
            node = try keyOrValue(blockIndent: offsetInLine, parentIndent: parentIndent, keyAllowed: !inMappingValue)
        }
        if let anchor { anchors[anchor] = node }
        return node
    }

    /// A node that starts its line at `indent`.
    private mutating func blockContent(indent: Int, parentIndent: Int) throws(YAMLError) -> YAMLNode {
        if atSequenceEntry { return try blockSequence(indent: indent) }
        if peek() == UInt8(ascii: "|") || peek() == UInt8(ascii: ">") { return try blockScalar(parentIndent: parentIndent) }
        if peek() == UInt8(ascii: "&") || peek() == UInt8(ascii: "!") {
            return try blockNode(parentIndent: parentIndent, inMappingValue: false)
        }
        return try keyOrValue(blockIndent: indent, parentIndent: parentIndent, keyAllowed: true)
    }

    /// A scalar, flow collection or alias; when a `: ` follows it, the first key of a block
    /// mapping whose keys stand at `blockIndent`.
    private mutating func keyOrValue(blockIndent: Int, parentIndent: Int, keyAllowed: Bool) throws(YAMLError) -> YAMLNode {
        let startLine = line
        let (node, plain) = try inlineNode(flow: false)
        skipBlanks()
        if peek() == UInt8(ascii: ":"), isSpaceOrEnd(at: index + 1) {
            guard keyAllowed else { throw fail("a mapping value is not allowed here (a second ': ' on one line? quote the value)") }
            guard line == startLine else { throw YAMLError(mark: node.mark, message: "a key must fit on one line") }
            return try blockMapping(indent: blockIndent, firstKey: node)
        }
        if plain, case .scalar(let first) = node.kind {
            return try continuePlain(first, mark: node.mark, parentIndent: parentIndent)
        }
        return node
    }

    private mutating func blockMapping(indent: Int, firstKey: YAMLNode) throws(YAMLError) -> YAMLNode {
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var key = firstKey
        var weight = 1
        while true {
            index += 1  // the ':'
            let value = try blockNode(parentIndent: indent, inMappingValue: true)
            pairs.append((key, value))
            weight &+= key.weight &+ value.weight
            try checkWeight(weight)
            guard try nextLineContinues(indent: indent, block: "mapping") else { break }
            if atSequenceEntry { throw fail("a sequence entry ('- ') where a 'key: value' line was expected") }
            let keyLine = line
            key = try mappingKey()
            skipBlanks()
            guard line == keyLine, peek() == UInt8(ascii: ":"), isSpaceOrEnd(at: index + 1) else {
                throw YAMLError(mark: key.mark, message: "expected a 'key: value' line (no ': ' after '\(key.string ?? "the key")')")
            }
        }
        return YAMLNode(.mapping(pairs), at: firstKey.mark)
    }

    /// After an entry of a block collection at `indent`: moves to the next content and says
    /// whether it is on a line of that same indentation (the collection goes on) or ends it.
    private mutating func nextLineContinues(indent: Int, block: String) throws(YAMLError) -> Bool {
        try skipToContent()
        if atDocumentEnd { return false }
        guard let current = indentOfLine else { throw fail("unexpected text after a value") }
        if current < indent { return false }
        guard current == indent else { throw fail("this line is indented more than the \(block) around it") }
        return true
    }

    private mutating func mappingKey() throws(YAMLError) -> YAMLNode {
        if peek() == UInt8(ascii: "&") || peek() == UInt8(ascii: "!") {
            throw fail("anchors and tags on keys are not supported in a config")
        }
        return try inlineNode(flow: false).node
    }

    /// A node that is not a block collection: a flow collection, a quoted or plain scalar, or an
    /// alias. `isPlain` tells a plain scalar, which in block context may go on below.
    private mutating func inlineNode(flow: Bool) throws(YAMLError) -> (node: YAMLNode, isPlain: Bool) {
        switch peek() {
        case UInt8(ascii: "["), UInt8(ascii: "{"): return (try flowCollection(), false)
        case UInt8(ascii: "\""): return (try doubleQuoted(), false)
        case UInt8(ascii: "'"): return (try singleQuoted(), false)
        case UInt8(ascii: "*"): return (try alias(), false)
        case UInt8(ascii: "?") where isSpaceOrEnd(at: index + 1):
            throw fail("explicit keys ('? ') are not supported in a config")
        default: return (try plainScalar(flow: flow), true)
        }
    }

    private mutating func blockSequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let start = here()
        var items: [YAMLNode] = []
        var weight = 1
        while true {
            index += 1  // the '-'
            let item = try blockNode(parentIndent: indent, inMappingValue: false)
            items.append(item)
            weight &+= item.weight
            try checkWeight(weight)
            // A key at the list's own indentation belongs to the mapping holding the list.
            guard try nextLineContinues(indent: indent, block: "list"), atSequenceEntry else { break }
        }
        return YAMLNode(.sequence(items), at: start)
    }

    /// Lines below a plain scalar's first that are indented more than its parent continue it,
    /// joined by spaces (an empty line keeps a line break).
    private mutating func continuePlain(_ first: String, mark start: YAMLMark, parentIndent: Int) throws(YAMLError) -> YAMLNode {
        var value = first
        while true {
            let saved = (index, line, lineStart)
            var breaks = 0
            skipBlanks()
            guard atLineEnd, peek() != UInt8(ascii: "#") else { break }
            while peek() == UInt8(ascii: "\n") {
                newline()
                skipBlanks()
                breaks += 1
            }
            guard !atDocumentEnd, peek() != UInt8(ascii: "#") else {
                (index, line, lineStart) = saved
                break
            }
            guard let current = indentOfLine else { throw fail("a tab in indentation; indent with spaces") }
            guard current > parentIndent else {
                (index, line, lineStart) = saved
                break
            }
            let next = try plainScalar(flow: false)
            skipBlanks()
            if peek() == UInt8(ascii: ":"), isSpaceOrEnd(at: index + 1) {
                throw fail("a mapping value is not allowed here (a 'key: value' inside a value that spans lines?)")
            }
            value += breaks > 1 ? String(repeating: "\n", count: breaks - 1) : " "
            value += next.string ?? ""
        }
        return YAMLNode(.scalar(value), at: start)
    }

    /// `|` keeps line breaks, `>` folds lines into spaces; `-` strips the final break, `+` keeps
    /// every trailing one; a digit sets the indentation.
    private mutating func blockScalar(parentIndent: Int) throws(YAMLError) -> YAMLNode {
        let start = here()
        let literal = peek() == UInt8(ascii: "|")
        index += 1
        var chomp: UInt8?
        var explicitIndent: Int?
        for _ in 0..<2 {
            guard let byte = peek() else { break }
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") {
                guard chomp == nil else { throw fail("two chomping indicators") }
                chomp = byte
                index += 1
            } else if byte >= UInt8(ascii: "1"), byte <= UInt8(ascii: "9") {
                guard explicitIndent == nil else { throw fail("two indentation indicators") }
                explicitIndent = max(parentIndent, 0) + Int(byte - UInt8(ascii: "0"))
                index += 1
            }
        }
        skipBlanks()
        guard atLineEnd else { throw fail("only a comment may follow '\(literal ? "|" : ">")' on its line") }
        skipLine()

        var contentIndent = explicitIndent
        var value: [UInt8] = []
        var emptyLines = 0
        var sawContent = false
        var previousMoreIndented = false
        while !atEnd {
            let lineBegin = index
            skipSpaces()
            if atEnd || peek() == UInt8(ascii: "\n") {
                emptyLines += 1
                if !atEnd { newline() }
                continue
            }
            let spaces = index - lineBegin
            if contentIndent == nil {
                guard spaces > parentIndent else { index = lineBegin; break }
                contentIndent = spaces
            }
            guard let indent = contentIndent, spaces >= indent else { index = lineBegin; break }
            index = lineBegin + indent
            let textStart = index
            while let byte = peek(), byte != UInt8(ascii: "\n") { index += 1 }
            let lineText = text[textStart..<index]
            let moreIndented = lineText.first == UInt8(ascii: " ") || lineText.first == UInt8(ascii: "\t")
            if !sawContent {
                value += Array(repeating: UInt8(ascii: "\n"), count: emptyLines)
            } else if literal || moreIndented || previousMoreIndented {
                value += Array(repeating: UInt8(ascii: "\n"), count: emptyLines + 1)
            } else if emptyLines == 0 {
                value.append(UInt8(ascii: " "))  // folded: a single break becomes a space
            } else {
                value += Array(repeating: UInt8(ascii: "\n"), count: emptyLines)
            }
            value += lineText
            sawContent = true
            previousMoreIndented = moreIndented
            emptyLines = 0
            if !atEnd { newline() }
        }
        switch chomp {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"): value += Array(repeating: UInt8(ascii: "\n"), count: emptyLines + (sawContent ? 1 : 0))
        default: if sawContent { value.append(UInt8(ascii: "\n")) }
        }
        return YAMLNode(.scalar(String(decoding: value, as: UTF8.self)), at: start)
    }

    // MARK: Flow context

    private mutating func flowCollection() throws(YAMLError) -> YAMLNode {
        try enter()
        defer { depth -= 1 }
        let start = here()
        let sequence = peek() == UInt8(ascii: "[")
        let close = sequence ? UInt8(ascii: "]") : UInt8(ascii: "}")
        let name = sequence ? "list '[...]'" : "mapping '{...}'"
        index += 1
        var items: [YAMLNode] = []
        var pairs: [(key: YAMLNode, value: YAMLNode)] = []
        var weight = 1
        while true {
            try skipFlowSpace()
            guard let byte = peek() else { throw YAMLError(mark: start, message: "the \(name) opened here is not closed") }
            if byte == close { index += 1; break }
            if byte == UInt8(ascii: ",") { throw fail("an empty entry in a \(name)") }
            let key = try flowNode()
            let keyIsJSONLike = lastFlowNodeWasJSONLike
            try skipFlowSpace()
            var value: YAMLNode?
            if peek() == UInt8(ascii: ":"), isFlowValueIndicator(afterJSONLike: keyIsJSONLike) {
                index += 1
                try skipFlowSpace()
                if let next = peek(), next == UInt8(ascii: ",") || next == close {
                    value = YAMLNode(.scalar(""), at: here())
                } else {
                    value = try flowNode()
                }
                try skipFlowSpace()
            }
            if sequence {
                if let value {
                    items.append(YAMLNode(.mapping([(key, value)]), at: key.mark))
                } else {
                    items.append(key)
                }
                weight &+= items[items.count - 1].weight
            } else {
                let entry = value ?? YAMLNode(.scalar(""), at: key.mark)
                pairs.append((key, entry))
                weight &+= key.weight &+ entry.weight
            }
            try checkWeight(weight)
            guard let after = peek() else { throw YAMLError(mark: start, message: "the \(name) opened here is not closed") }
            if after == UInt8(ascii: ",") { index += 1; continue }
            guard after == close else {
                throw fail("expected ',' or '\(sequence ? "]" : "}")' in the \(name) opened at line \(start.line), column \(start.column)")
            }
        }
        return YAMLNode(sequence ? .sequence(items) : .mapping(pairs), at: start)
    }

    private mutating func flowNode() throws(YAMLError) -> YAMLNode {
        var anchor: String?
        while let byte = peek(), byte == UInt8(ascii: "&") || byte == UInt8(ascii: "!") {
            if byte == UInt8(ascii: "&") { anchor = try anchorName() } else { try skipTag() }
            try skipFlowSpace()
        }
        let node: YAMLNode
        let first = peek()
        switch first {
        case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"):
            node = YAMLNode(.scalar(""), at: here())
        default: node = try inlineNode(flow: true).node
        }
        // Quoted scalars and flow collections may be followed by ':' with no space (JSON style).
        lastFlowNodeWasJSONLike = first == UInt8(ascii: "[") || first == UInt8(ascii: "{")
            || first == UInt8(ascii: "\"") || first == UInt8(ascii: "'")
        if let anchor { anchors[anchor] = node }
        return node
    }

    private var lastFlowNodeWasJSONLike = false

    /// In flow context a ':' marks a value when a space, a line end or a flow indicator follows,
    /// or right after a quoted key or a collection (JSON style).
    private func isFlowValueIndicator(afterJSONLike: Bool) -> Bool {
        if afterJSONLike { return true }
        guard let next = peek(at: index + 1) else { return true }
        return isBlankOrBreak(next) || next == UInt8(ascii: ",") || next == UInt8(ascii: "]") || next == UInt8(ascii: "}")
    }

    private mutating func skipFlowSpace() throws(YAMLError) {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                index += 1
            } else if byte == UInt8(ascii: "\n") {
                newline()
                if atDocumentMarker("---") || atDocumentMarker("...") { throw fail("a document marker inside a flow collection") }
            } else if byte == UInt8(ascii: "#"), index == lineStart || isBlankOrBreak(text[index - 1]) {
                skipLine()
            } else {
                return
            }
        }
    }

    // MARK: Scalars

    /// A plain scalar's first line: up to a `: ` or ` #`, or in flow context also `,[]{}`.
    private mutating func plainScalar(flow: Bool) throws(YAMLError) -> YAMLNode {
        let start = here()
        guard let first = peek() else { return YAMLNode(.scalar(""), at: start) }
        switch first {
        case UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw fail("'\(Character(Unicode.Scalar(first)))' cannot start a plain value; quote it")
        case UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "%"):
            if flow { throw fail("'\(Character(Unicode.Scalar(first)))' cannot start a value inside brackets; quote it") }
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            throw fail("'\(Character(Unicode.Scalar(first)))' without its opening bracket")
        case UInt8(ascii: "\t"):
            throw fail("a tab in indentation; indent with spaces")
        default: break
        }
        let begin = index
        var end = index
        while let byte = peek() {
            if byte == UInt8(ascii: "\n") { break }
            if byte == UInt8(ascii: ":") {
                guard let next = peek(at: index + 1) else { break }
                if isBlankOrBreak(next) { break }
                if flow, next == UInt8(ascii: ",") || next == UInt8(ascii: "[") || next == UInt8(ascii: "]")
                    || next == UInt8(ascii: "{") || next == UInt8(ascii: "}") { break }
            }
            if byte == UInt8(ascii: "#"), index > begin, isBlankOrBreak(text[index - 1]) { break }
            if flow, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "[") || byte == UInt8(ascii: "]")
                || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}") { break }
            index += 1
            if !isBlankOrBreak(byte) { end = index }
        }
        return YAMLNode(.scalar(String(decoding: text[begin..<end], as: UTF8.self)), at: start)
    }

    private mutating func singleQuoted() throws(YAMLError) -> YAMLNode {
        let start = here()
        index += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw YAMLError(mark: start, message: "a single-quoted string is not closed") }
            if byte == UInt8(ascii: "'") {
                if peek(at: index + 1) == UInt8(ascii: "'") {
                    bytes.append(byte)
                    index += 2
                    continue
                }
                index += 1
                break
            }
            if byte == UInt8(ascii: "\n") {
                try foldQuotedBreak(&bytes, start: start)
                continue
            }
            bytes.append(byte)
            index += 1
        }
        return YAMLNode(.scalar(String(decoding: bytes, as: UTF8.self)), at: start)
    }

    private mutating func doubleQuoted() throws(YAMLError) -> YAMLNode {
        let start = here()
        index += 1
        var bytes: [UInt8] = []
        while true {
            guard let byte = peek() else { throw YAMLError(mark: start, message: "a double-quoted string is not closed") }
            if byte == UInt8(ascii: "\"") { index += 1; break }
            if byte == UInt8(ascii: "\n") {
                try foldQuotedBreak(&bytes, start: start)
                continue
            }
            guard byte == UInt8(ascii: "\\") else {
                bytes.append(byte)
                index += 1
                continue
            }
            let escapeMark = here()
            index += 1
            guard let code = peek() else { throw YAMLError(mark: start, message: "a double-quoted string is not closed") }
            index += 1
            switch code {
            case UInt8(ascii: "0"): bytes.append(0)
            case UInt8(ascii: "a"): bytes.append(7)
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "t"), UInt8(ascii: "\t"): bytes.append(9)
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "v"): bytes.append(11)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "e"): bytes.append(27)
            case UInt8(ascii: " "), UInt8(ascii: "\""), UInt8(ascii: "/"), UInt8(ascii: "\\"): bytes.append(code)
            case UInt8(ascii: "N"): bytes += [0xC2, 0x85]
            case UInt8(ascii: "_"): bytes += [0xC2, 0xA0]
            case UInt8(ascii: "L"): bytes += [0xE2, 0x80, 0xA8]
            case UInt8(ascii: "P"): bytes += [0xE2, 0x80, 0xA9]
            case UInt8(ascii: "x"): try hexEscape(digits: 2, into: &bytes, at: escapeMark)
            case UInt8(ascii: "u"): try hexEscape(digits: 4, into: &bytes, at: escapeMark)
            case UInt8(ascii: "U"): try hexEscape(digits: 8, into: &bytes, at: escapeMark)
            case UInt8(ascii: "\n"):
                // An escaped line break joins the lines without a space.
                index -= 1
                newline()
                skipBlanks()
            default:
                throw YAMLError(mark: escapeMark, message: "unknown escape '\\\(Character(Unicode.Scalar(code)))' in a double-quoted string")
            }
        }
        return YAMLNode(.scalar(String(decoding: bytes, as: UTF8.self)), at: start)
    }

    private mutating func hexEscape(digits: Int, into bytes: inout [UInt8], at escapeMark: YAMLMark) throws(YAMLError) {
        var value: UInt32 = 0
        for _ in 0..<digits {
            guard let byte = peek(), let digit = Self.hexValue(byte) else {
                throw YAMLError(mark: escapeMark, message: "an escape needs \(digits) hexadecimal digits")
            }
            value = value << 4 | digit
            index += 1
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw YAMLError(mark: escapeMark, message: "escape U+\(String(value, radix: 16, uppercase: true)) is not a Unicode scalar")
        }
        bytes += Array(String(Character(scalar)).utf8)
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// A line break inside quotes: trailing blanks go, one break becomes a space, each further
    /// (empty) line a line break, and the next line's indentation goes.
    private mutating func foldQuotedBreak(_ bytes: inout [UInt8], start: YAMLMark) throws(YAMLError) {
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes.removeLast() }
        var breaks = 0
        while peek() == UInt8(ascii: "\n") {
            newline()
            breaks += 1
            if atDocumentMarker("---") || atDocumentMarker("...") {
                throw YAMLError(mark: start, message: "a quoted string is not closed before a document marker")
            }
            skipBlanks()
        }
        if breaks == 1 { bytes.append(UInt8(ascii: " ")) } else { bytes += Array(repeating: UInt8(ascii: "\n"), count: breaks - 1) }
    }

    // MARK: Anchors, aliases and tags

    private mutating func anchorName() throws(YAMLError) -> String {
        let start = here()
        index += 1
        let begin = index
        while let byte = peek(), !isBlankOrBreak(byte), byte != UInt8(ascii: ","), byte != UInt8(ascii: "["),
              byte != UInt8(ascii: "]"), byte != UInt8(ascii: "{"), byte != UInt8(ascii: "}") {
            index += 1
        }
        guard index > begin else { throw YAMLError(mark: start, message: "an anchor ('&') needs a name") }
        return String(decoding: text[begin..<index], as: UTF8.self)
    }

    private mutating func alias() throws(YAMLError) -> YAMLNode {
        let start = here()
        let name = try anchorName()
        guard let node = anchors[name] else { throw YAMLError(mark: start, message: "alias '*\(name)' names no anchor defined before it") }
        return YAMLNode(node.kind, at: start)
    }

    private mutating func skipTag() throws(YAMLError) {
        if peek(at: index + 1) == UInt8(ascii: "<") {
            while let byte = peek(), byte != UInt8(ascii: ">") {
                if byte == UInt8(ascii: "\n") { throw fail("a verbatim tag '!<...>' is not closed") }
                index += 1
            }
            index += 1
            return
        }
        while let byte = peek(), !isBlankOrBreak(byte), byte != UInt8(ascii: ","), byte != UInt8(ascii: "]"), byte != UInt8(ascii: "}") {
            index += 1
        }
    }

    // MARK: Position

    private var atEnd: Bool { index >= text.count }

    private func peek() -> UInt8? { index < text.count ? text[index] : nil }

    private func peek(at position: Int) -> UInt8? { position < text.count ? text[position] : nil }

    /// Where the parser stands. Columns are counted from the last position asked about on the
    /// same line, so a long line of many nodes costs its length once, not once per node.
    private mutating func here() -> YAMLMark {
        if columnCache.lineStart != lineStart || columnCache.index > index {
            columnCache = (lineStart, lineStart, 1)
        }
        var column = columnCache.column
        for byte in text[columnCache.index..<min(index, text.count)] where byte & 0xC0 != 0x80 { column += 1 }
        columnCache = (lineStart, index, column)
        return YAMLMark(line: line, column: column)
    }

    private var columnCache = (lineStart: 0, index: 0, column: 1)

    /// Bytes from the line's start: the indentation a collection starting here has.
    private var offsetInLine: Int { index - lineStart }

    private var atLineStart: Bool { index == lineStart }

    /// The current position's indentation when only spaces precede it on its line.
    private var indentOfLine: Int? {
        for position in lineStart..<index where text[position] != UInt8(ascii: " ") { return nil }
        return index - lineStart
    }

    /// At a line's end, or at a comment (which runs to the line's end).
    private var atLineEnd: Bool {
        guard let byte = peek() else { return true }
        return byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "#") && (index == lineStart || isBlankOrBreak(text[index - 1])))
    }

    /// At the text's end or a document marker: every open block ends here.
    private var atDocumentEnd: Bool { atEnd || atDocumentMarker("---") || atDocumentMarker("...") }

    private var atSequenceEntry: Bool { peek() == UInt8(ascii: "-") && isSpaceOrEnd(at: index + 1) }

    /// `---` or `...` at a line's start, followed by a space or the line's end.
    private func atDocumentMarker(_ marker: String) -> Bool {
        guard index == lineStart, index + 3 <= text.count else { return false }
        return text[index..<index + 3].elementsEqual(marker.utf8) && isSpaceOrEnd(at: index + 3)
    }

    private func isSpaceOrEnd(at position: Int) -> Bool {
        guard let byte = peek(at: position) else { return true }
        return isBlankOrBreak(byte)
    }

    private func isBlankOrBreak(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
    }

    private mutating func newline() {
        index += 1
        line += 1
        lineStart = index
    }

    private mutating func skipBlanks() {
        while let byte = peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") { index += 1 }
    }

    private mutating func skipSpaces() {
        while peek() == UInt8(ascii: " ") { index += 1 }
    }

    private mutating func skipLine() {
        while let byte = peek(), byte != UInt8(ascii: "\n") { index += 1 }
        if !atEnd { newline() }
    }

    /// Past blanks, comments and line breaks to the next content; a tab in the indentation of a
    /// line with content is an error.
    private mutating func skipToContent() throws(YAMLError) {
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: " "):
                index += 1
            case UInt8(ascii: "\t"):
                if text[lineStart..<index].allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) {
                    var probe = index
                    while probe < text.count, text[probe] == UInt8(ascii: " ") || text[probe] == UInt8(ascii: "\t") { probe += 1 }
                    if probe < text.count, text[probe] != UInt8(ascii: "\n"), text[probe] != UInt8(ascii: "#") {
                        throw fail("a tab in indentation; indent with spaces")
                    }
                }
                index += 1
            case UInt8(ascii: "\n"):
                newline()
            case UInt8(ascii: "#") where index == lineStart || isBlankOrBreak(text[index - 1]):
                skipLine()
            default:
                return
            }
        }
    }

    private mutating func enter() throws(YAMLError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw fail("nested more than \(Self.maxDepth) levels deep") }
    }

    private mutating func checkWeight(_ weight: Int) throws(YAMLError) {
        guard weight <= Self.maxWeight else {
            throw fail("the document expands to more than \(Self.maxWeight) nodes (aliases of aliases?)")
        }
    }

    private mutating func fail(_ message: String) -> YAMLError { YAMLError(mark: here(), message: message) }
}
