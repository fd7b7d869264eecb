// swift-tools-version:6.2
// A libFuzzer target for the YAML config loader. It lives in its own package because it needs
// the whole ZMQExporter module, built with -sanitize=fuzzer, which the main package's
// executables must not be. Built and run by Fuzz/run.sh ConfigLoader.
import PackageDescription

let package = Package(
    name: "ConfigFuzz",
    dependencies: [.package(name: "zmq-exporter", path: "../..")],
    targets: [
        .executableTarget(
            name: "ConfigFuzz",
            dependencies: [.product(name: "ZMQExporter", package: "zmq-exporter")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
