import ZMQExporter

// Invariants: the loader never crashes; it either returns a config whose socket names are
// unique, or errors that each carry a message.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let config = try ConfigLoader.parse(text, file: "fuzz.yml")
        precondition(Set(config.sockets.map(\.name)).count == config.sockets.count, "duplicate names accepted")
    } catch {
        precondition(!error.errors.isEmpty && error.errors.allSatisfy { !$0.message.isEmpty })
    }
    return 0
}

// SwiftPM links an executable's entry point as `<module>_main`, which replaces libFuzzer's own
// main; hand control to libFuzzer's driver from there instead.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("ConfigFuzz_main")
public func configFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return runFuzzerDriver(&count, &arguments, fuzz)
}
