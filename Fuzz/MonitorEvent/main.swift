// libFuzzer target for the monitor-event decoder (built by `make fuzz`). The first byte splits
// the input into the two frames of a monitor message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let split = min(Int(bytes[0]), bytes.count - 1)
    let header = bytes[1..<(1 + split)]
    let endpoint = bytes[(1 + split)...]
    if let event = try? MonitorEvent.decode(header: header, endpoint: endpoint) {
        precondition(header.count == 6)
        _ = event.detail
        _ = event.kind.name
        _ = event.description
        if case .unknown = event.kind {} else {
            precondition(MonitorEvent.Kind(rawValue: event.kind.rawValue) == event.kind)
        }
    } else {
        precondition(header.count != 6)
    }
    return 0
}
