import Foundation

struct ProcessResult {
    let status: Int32
    let stdout: Data
    let stderr: String
    var output: String { String(decoding: stdout, as: UTF8.self) }
}

/// Runs `executable` (looked up in PATH) with a time bound; a run past `timeout` seconds is
/// terminated by its own PID and reported as status -1.
func runProcess(_ executable: String, _ arguments: [String], stdin: String? = nil, timeout: Double = 30) throws -> ProcessResult {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("http-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("out")
    let errURL = directory.appendingPathComponent("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    let finished = waitUntil(timeout) { !process.isRunning }
    if !finished {
        process.terminate()
        process.waitUntilExit()
    }
    return ProcessResult(
        status: finished ? process.terminationStatus : -1,
        stdout: try Data(contentsOf: outURL),
        stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
}

func isInstalled(_ tool: String) -> Bool {
    (try? runProcess("sh", ["-c", "command -v \(tool)"], timeout: 5).status) == 0
}
