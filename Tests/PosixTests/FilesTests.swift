import Glibc
import Posix
import Testing

/// The private directories the demo keeps its CURVE keys in.
@Suite struct FilesTests {
    @Test func privateTemporaryDirectoryIsOwnerOnlyAndRemovable() throws {
        let directory = try Files.makePrivateTemporaryDirectory(prefix: "posix-test.").get()
        #expect(directory.contains("/posix-test."))
        #expect(try Files.permissions(directory).get() == 0o700)
        let inner = directory + "/keys"
        try Files.makeDirectory(inner, mode: 0o700).get()
        try Files.create(inner + "/secret", Array("x".utf8), mode: 0o600).get()
        #expect(try Files.permissions(inner + "/secret").get() == 0o600)
        // A directory that is not empty stays; files first, then directories.
        #expect(Files.remove(directory) == false)
        #expect(Files.remove(inner + "/secret"))
        #expect(Files.remove(inner))
        #expect(Files.remove(directory))
        #expect(Files.permissions(directory).isFailure)
        #expect(Files.remove(directory), "a path already gone counts as removed")
    }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
