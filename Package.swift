// swift-tools-version:6.2
import PackageDescription

// Every Swift target builds in Swift 6 language mode with ExistentialAny (STYLE.md).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "zmq-exporter",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "zmq-exporter", targets: ["zmq-exporter"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "ZMQExporter", targets: ["ZMQExporter"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // <zmq.h> from Debian's libzmq3-dev (libzmq 4.3).
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // zlib for gzip responses, from Debian's zlib1g-dev.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // epoll, eventfd and accept4 for the HTTP server (not in Swift's Glibc module).
        .systemLibrary(name: "CLinuxIO"),
        // OpenSSL 3 for TLS on the HTTP server (--web.config.file): headers from Debian's libssl-dev.
        // Not linked: libssl.so.3 is loaded with dlopen when a web config asks for TLS or basic
        // auth, so the plain agent keeps its footprint (see Sources/COpenSSL/shim.h).
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // libxcrypt's crypt_rn for basic-auth bcrypt hashes: headers from libcrypt-dev, loaded the same way.
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: ["CZlib", "CLinuxIO", "COpenSSL", "CCrypt", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ZMQExporter",
            dependencies: [
                "ZeroMQ",
                "HTTPServer",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "zmq-exporter",
            dependencies: [
                "ZMQExporter",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "CZlib"], swiftSettings: strict),
        .testTarget(
            name: "ZMQExporterTests",
            dependencies: ["ZMQExporter", "ZeroMQ", "HTTPServer", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
