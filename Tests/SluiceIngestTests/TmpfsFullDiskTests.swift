import Foundation
import SluiceSpool
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A real full disk: the spool on a 256 KiB tmpfs (far smaller than one 64 MiB segment), a real server and
/// real HTTP. The disk fills, requests get 503, the loader frees space by deleting what it loaded, and
/// requests get 200 again; every acknowledged event is loaded once.
///
/// Mounting needs root (or CAP_SYS_ADMIN); where it is not permitted the test is skipped, and says why.
@Suite(.serialized) struct TmpfsFullDiskTests {
    /// A tmpfs mounted for one test, unmounted and removed by ``unmount()``.
    struct Mount {
        let path: String

        /// Mounts a tmpfs of `bytes` at a new temporary directory, or nil if mounting is not permitted here.
        static func make(bytes: Int) -> Mount? {
            let path = FileManager.default.temporaryDirectory.path + "/sluice-tmpfs-\(UUID().uuidString)"
            guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
                run(["/bin/mount", "-t", "tmpfs", "-o", "size=\(bytes)", "tmpfs", path])
            else {
                try? FileManager.default.removeItem(atPath: path)
                return nil
            }
            return Mount(path: path)
        }

        func unmount() {
            _ = Self.run(["/bin/umount", path])
            try? FileManager.default.removeItem(atPath: path)
        }

        private static func run(_ arguments: [String]) -> Bool {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: arguments[0])
            process.arguments = Array(arguments.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return false }
            process.waitUntilExit()
            return process.terminationStatus == 0
        }

        /// Whether this machine lets the tests mount a tmpfs (tried once).
        static let permitted: Bool = {
            guard let probe = make(bytes: 64 << 10) else { return false }
            probe.unmount()
            return true
        }()
    }

    @Test(.enabled(if: Mount.permitted, "mounting a tmpfs is not permitted here (run the tests as root)"))
    func aFullTmpfsAnswers503AndRecoversWhenTheLoaderFreesSpace() async throws {
        let mount = try #require(Mount.make(bytes: 256 << 10))
        defer { mount.unmount() }
        let harness = try IngestHarness(label: "tmpfs")
        let spool = mount.path + "/spool"
        try await harness.withServer({ $0.spoolDirectory = spool }) { server in
            let outcome = try await SpoolFaultTests.fillAndRecover(server: server, writeKey: harness.writeKey)
            #expect(outcome.refused?.status == 503)
            #expect(outcome.refused?.headers["retry-after"] == "1")
            #expect(try await HTTP.get("\(server.baseURL)/healthz").status == 200)
            try await server.waitUntilLoaded()
            let counts = try harness.messageCounts()
            #expect(outcome.acknowledged.allSatisfy { counts[$0] == 1 }, "an acknowledged event is missing")
            #expect(counts.values.allSatisfy { $0 == 1 }, "an event was stored twice")
            let segments = try SpoolSegment.segments(in: spool).map(\.number)
            #expect(segments.first ?? 0 > 0, "the full segment was never left and deleted: \(segments)")
        }
    }
}
