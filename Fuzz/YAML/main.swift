// libFuzzer target for the config's YAML reader, libyaml's events made into our tree (built by
// `make fuzz`). Invariants: never crash or hang; every mark lies inside the text (or at its end:
// libyaml ends an unterminated last line with a virtual break); an accepted document, written back
// out in flow style with every scalar double-quoted, reads back to the same tree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = lineCount(text)
    do {
        guard let node = try YAMLParser.parse(text) else { return 0 }
        checkMarks(node, lines: lines)
        precondition(node.weight <= YAMLParser.maxWeight)
        // Deep trees written in flow style nest deeper than the reader allows; skip those.
        guard depth(node) < YAMLParser.maxDepth - 1 else { return 0 }
        let written = flow(node)
        guard let again = try YAMLParser.parse(written) else { preconditionFailure("rewritten document is empty: \(written)") }
        precondition(flow(again) == written, "round trip changed the tree:\n\(text.debugDescription)\n\(written)\n\(flow(again))")
    } catch {
        precondition(inside(error.mark, lines: lines), "mark \(error.mark) outside the text")
        precondition(!error.message.isEmpty)
    }
    return 0
}

func checkMarks(_ node: YAMLNode, lines: Int) {
    precondition(inside(node.mark, lines: lines), "mark \(node.mark) outside the text")
    switch node.kind {
    case .scalar: break
    case .sequence(let items): items.forEach { checkMarks($0, lines: lines) }
    case .mapping(let pairs): pairs.forEach { checkMarks($0.key, lines: lines); checkMarks($0.value, lines: lines) }
    }
}

/// Lines as libyaml counts them: CR LF, CR, LF, NEL, LS and PS each end one (YAML 1.1).
func lineCount(_ text: String) -> Int {
    var lines = 1
    var previous: Unicode.Scalar = " "
    for scalar in text.unicodeScalars {
        if ["\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(scalar) || (scalar == "\n" && previous != "\r") { lines += 1 }
        previous = scalar
    }
    return lines
}

func inside(_ mark: YAMLMark, lines: Int) -> Bool {
    mark.column >= 1 && mark.line >= 1 && (mark.line <= lines || (mark.line == lines + 1 && mark.column == 1))
}

func depth(_ node: YAMLNode) -> Int {
    switch node.kind {
    case .scalar: 0
    case .sequence(let items): 1 + (items.map(depth).max() ?? 0)
    case .mapping(let pairs): 1 + (pairs.map { max(depth($0.key), depth($0.value)) }.max() ?? 0)
    }
}

func flow(_ node: YAMLNode) -> String {
    switch node.kind {
    case .scalar(let text): quoted(text)
    case .sequence(let items): "[" + items.map(flow).joined(separator: ", ") + "]"
    case .mapping(let pairs): "{" + pairs.map { flow($0.key) + ": " + flow($0.value) }.joined(separator: ", ") + "}"
    }
}

func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F:
            let hex = String(scalar.value, radix: 16)
            out += "\\x" + (hex.count < 2 ? "0" : "") + hex
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
