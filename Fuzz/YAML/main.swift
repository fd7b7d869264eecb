// libFuzzer target for the config's YAML reader (built by `make fuzz`).
// Invariants: never crash or hang; every mark lies inside the text; an accepted document,
// written back out in flow style with every scalar double-quoted, reads back to the same tree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.utf8.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") || $1 == UInt8(ascii: "\r") ? 1 : 0) }
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
        precondition(error.mark.line >= 1 && error.mark.line <= lines && error.mark.column >= 1, "mark \(error.mark) outside the text")
        precondition(!error.message.isEmpty)
    }
    return 0
}

func checkMarks(_ node: YAMLNode, lines: Int) {
    precondition(node.mark.line >= 1 && node.mark.line <= lines && node.mark.column >= 1, "mark \(node.mark) outside the text")
    switch node.kind {
    case .scalar: break
    case .sequence(let items): items.forEach { checkMarks($0, lines: lines) }
    case .mapping(let pairs): pairs.forEach { checkMarks($0.key, lines: lines); checkMarks($0.value, lines: lines) }
    }
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
