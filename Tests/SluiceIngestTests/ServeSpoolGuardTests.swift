import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

/// `sluice serve` as real processes guarding their spool: one process per spool directory, and a checkpoint
/// that belongs to another spool refused with a way out.
@Suite(.serialized) struct ServeSpoolGuardTests {
    /// Runs a `sluice` command to its end; its exit code and output.
    static func run(_ arguments: [String]) async throws -> (code: Int32, output: String) {
        let process = try BackgroundProcess([SluiceBinary.path] + arguments)
        let code = try await process.wait(timeout: HangGuard.limit)
        return (code, process.log)
    }

    static func listing(_ directory: String) throws -> [String: UInt64] {
        var files: [String: UInt64] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            files[name] = (attributes[.size] as? NSNumber)?.uint64Value ?? 0
        }
        return files
    }

    @Test func aSecondServerOnTheSameSpoolExitsAtOnceNamingItAndTouchesNothing() async throws {
        let setup = try CrashRecoveryTests.setup("spoollock")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (first, url) = try await CrashRecoveryTests.serve(setup)
        let ids = (0..<10).map { "lock-\($0)" }
        let answer = try await HTTP.post(
            "\(url)/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(answer.status == 200)
        let before = try Self.listing(setup.spool)

        let (code, output) = try await Self.run([
            "serve", "--port", "0", "--spool-dir", setup.spool, "--no-jobs", "--database-url", setup.databaseURL,
        ])
        #expect(code == 1)
        let lines = output.split(separator: "\n")
        #expect(lines.count == 1, "expected one line, got: \(output)")
        #expect(output.contains(setup.spool))
        #expect(output.contains("another sluice process"))
        #expect(try Self.listing(setup.spool) == before)

        // The first server goes on unharmed.
        let again = try await HTTP.post(
            "\(url)/v1/batch", json: Events.batch([Events.track("lock-after")]), writeKey: setup.writeKey
        )
        #expect(again.status == 200)
        try CrashRecoveryTests.expectExactlyOnce(Set(ids + ["lock-after"]), databaseURL: setup.databaseURL)
        first.signal(SIGTERM)
        await #expect(try first.wait() == 0)
    }

    @Test func aWipedSpoolIsRefusedUntilItsOldCheckpointIsReset() async throws {
        let setup = try CrashRecoveryTests.setup("wiped")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (first, url) = try await CrashRecoveryTests.serve(setup)
        let ids = (0..<30).map { "wiped-\($0)" }
        let answer = try await HTTP.post(
            "\(url)/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(answer.status == 200)
        first.signal(SIGTERM)
        await #expect(try first.wait() == 0)
        try CrashRecoveryTests.expectExactlyOnce(Set(ids), databaseURL: setup.databaseURL)

        // The spool directory is lost and created again: a new, empty spool under the old checkpoint.
        try FileManager.default.removeItem(atPath: setup.spool)
        let serve = [
            "serve", "--port", "0", "--spool-dir", setup.spool, "--no-jobs", "--database-url", setup.databaseURL,
        ]
        let refused = try await Self.run(serve)
        #expect(refused.code == 1)
        let errors = refused.output.split(separator: "\n").filter { $0.contains("error:") }
        #expect(errors.count == 1, "\(refused.output)")
        #expect(refused.output.contains("sluice spool reset-checkpoint --node-id default --confirm-spool-gone"))
        #expect(refused.output.contains(setup.spool))

        let unconfirmed = try await Self.run([
            "spool", "reset-checkpoint", "--node-id", "default", "--database-url", setup.databaseURL,
        ])
        #expect(unconfirmed.code == 64)
        let reset = try await Self.run([
            "spool", "reset-checkpoint", "--node-id", "default", "--confirm-spool-gone", "--database-url",
            setup.databaseURL,
        ])
        #expect(reset.code == 0, "\(reset.output)")
        #expect(reset.output.contains("deleted the checkpoint of node default"))

        let (second, secondURL) = try await CrashRecoveryTests.serve(setup)
        let more = (0..<10).map { "after-reset-\($0)" }
        let stored = try await HTTP.post(
            "\(secondURL)/v1/batch", json: Events.batch(more.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(stored.status == 200)
        try CrashRecoveryTests.expectExactlyOnce(Set(ids + more), databaseURL: setup.databaseURL)
        second.signal(SIGTERM)
        await #expect(try second.wait() == 0)
    }
}
