import Testing
@Test func zeroMQPlaceholder() { #expect(Bool(true)) }
