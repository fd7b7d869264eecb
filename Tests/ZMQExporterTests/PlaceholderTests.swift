import Testing
@testable import ZMQExporter
@Test func placeholderAgent() { #expect(Bool(true)) }
