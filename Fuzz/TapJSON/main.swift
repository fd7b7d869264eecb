// libFuzzer target for the tap's JSON scanner with label extraction (built by `make fuzz`).
// Invariants: never crash; a document accepted with fields found gives values only for fields
// that exist; the scanner agrees with itself on a second run.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    let scanner = JSONFieldScanner(fields: ["event", "time", "id", ""])
    let first = try? scanner.scan(bytes)
    let second = try? scanner.scan(bytes)
    precondition(first == second, "scanner is not deterministic")
    if let values = first {
        precondition(values.count == 4)
    }
    return 0
}
