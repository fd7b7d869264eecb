// swift-tools-version:6.2
import PackageDescription

// Every Swift target builds in Swift 6 language mode with ExistentialAny (STYLE.md).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "zmq-exporter",
    products: [
        .executable(name: "zmq-exporter", targets: ["zmq-exporter"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "HTTPServer", targets: ["HTTPServer"]),
        .library(name: "ZMQExporter", targets: ["ZMQExporter"]),
        .library(name: "ZMQExporterDemo", targets: ["ZMQExporterDemo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // <zmq.h> from Debian's libzmq3-dev (libzmq 4.3).
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // zlib for gzip responses, from Debian's zlib1g-dev, linked statically (module map).
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // libyaml's event parser for the config, from Debian's libyaml-dev (libyaml 0.2), linked
        // statically by its module map. No pkgConfig: `pkg-config --libs yaml-0.1` would add the
        // shared library too; scripts/ensure-deps.sh checks `pkg-config --exists yaml-0.1` instead.
        .systemLibrary(name: "CYAML"),
        // epoll, eventfd and accept4 for the HTTP server (not in Swift's Glibc module).
        .systemLibrary(name: "CLinuxIO"),
        // OpenSSL 3 for TLS on the HTTP server (--web.config.file): headers from Debian's libssl-dev.
        // Not linked: libssl.so.3 is loaded with dlopen when a web config asks for TLS or basic
        // auth, so the plain agent keeps its footprint (see Sources/COpenSSL/shim.h).
        .systemLibrary(name: "COpenSSL", providers: [.apt(["libssl-dev"])]),
        // libxcrypt's crypt_rn for basic-auth bcrypt hashes: headers from libcrypt-dev, loaded the same way.
        .systemLibrary(name: "CCrypt", providers: [.apt(["libcrypt-dev"])]),
        // Threads, the one lock type, condition variables, SystemError, files, clocks: the one
        // POSIX layer that the HTTP server and the agent share.
        .target(name: "Posix", dependencies: ["CLinuxIO"], swiftSettings: strict),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], swiftSettings: strict),
        .target(
            name: "HTTPServer",
            dependencies: ["Posix", "CZlib", "CLinuxIO", "COpenSSL", "CCrypt", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ZMQExporter",
            dependencies: [
                "Posix",
                "ZeroMQ",
                "HTTPServer",
                "CYAML",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The demo system of `zmq-exporter demo`; the agent library ships none of it.
        .target(
            name: "ZMQExporterDemo",
            dependencies: ["Posix", "ZeroMQ", "ZMQExporter", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "zmq-exporter",
            dependencies: [
                "Posix",
                "ZMQExporter",
                "ZMQExporterDemo",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "PosixTests", dependencies: ["Posix"], swiftSettings: strict),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ", "Posix"], swiftSettings: strict),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "Posix", "CZlib"], swiftSettings: strict),
        .testTarget(
            name: "ZMQExporterTests",
            dependencies: ["ZMQExporter", "ZMQExporterDemo", "Posix", "ZeroMQ", "HTTPServer"],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
