import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceStore
import SluiceHangGuard
import SluiceTestSupport
import Testing

/// `sluice serve` as a child process, restarted while its PostgreSQL is down (twice, the second time after
/// `kill -9`): it serves, and once the database is back every acknowledged id is stored exactly once.
@Suite(.serialized) struct OutageServeTests {
    @Test func restartsDuringAnOutageServeAndLoseOrDuplicateNothing() async throws {
        let cluster = try OutageStartTests.PrivateCluster()
        let setup = try CrashRecoveryTests.setup("outage", databaseURL: try cluster.database("outage"))
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }

        // Before the outage: traffic, all of it loaded.
        let (first, url) = try await CrashRecoveryTests.serve(setup)
        let before = CrashRecoveryTests.Traffic()
        let sending = Task { await before.run(url: url, writeKey: setup.writeKey) }
        try await before.waitForAcknowledged(1_000)
        before.stop.store(true, ordering: .relaxed)
        await sending.value
        first.signal(SIGTERM)
        await #expect(try first.wait() == 0, "\(first.log)")
        let loaded = before.acknowledged.withLock { $0 }
        try CrashRecoveryTests.expectExactlyOnce(loaded, databaseURL: setup.databaseURL)

        try cluster.stop()

        // A start during the outage: it serves new ids, and takes re-sent ones.
        let (second, secondURL) = try await CrashRecoveryTests.serve(setup)
        _ = try await second.waitForLine(containing: "PostgreSQL is unreachable")
        let metrics = try await HTTP.get("\(secondURL)/metrics")
        #expect(metrics.body.contains("sluice_dedupe_window_complete 0"), "the window says it is incomplete")
        let during = CrashRecoveryTests.Traffic()
        let duringSending = Task { await during.run(url: secondURL, writeKey: setup.writeKey) }
        try await during.waitForAcknowledged(500)
        let resent = Array(loaded.prefix(200))
        let resend = try await HTTP.post(
            "\(secondURL)/v1/batch", json: Events.batch(resent.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(resend.status == 200)
        // Killed mid-traffic, and started again during the same outage.
        second.signal(SIGKILL)
        _ = try await second.wait()
        during.stop.store(true, ordering: .relaxed)
        await duringSending.value

        let (third, thirdURL) = try await CrashRecoveryTests.serve(setup)
        let again = Array(loaded.suffix(200)) + Array(during.acknowledged.withLock { $0 }.prefix(200))
        let resendAgain = try await HTTP.post(
            "\(thirdURL)/v1/batch", json: Events.batch(again.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(resendAgain.status == 200)
        let after = CrashRecoveryTests.Traffic()
        let afterSending = Task { await after.run(url: thirdURL, writeKey: setup.writeKey) }
        try await after.waitForAcknowledged(300)

        try cluster.start()
        try await HangGuard.wait(for: "the dedupe window to complete after the database returned") {
            try await HTTP.get("\(thirdURL)/metrics").body.contains("sluice_dedupe_window_complete 1")
        }
        try await after.waitForAcknowledged(after.acknowledged.withLock { $0.count } + 300)
        after.stop.store(true, ordering: .relaxed)
        await afterSending.value

        let everything = loaded.union(during.acknowledged.withLock { $0 }).union(after.acknowledged.withLock { $0 })
        try CrashRecoveryTests.expectExactlyOnce(everything, databaseURL: setup.databaseURL)
        third.signal(SIGTERM)
        await #expect(try third.wait() == 0, "\(third.log)")
    }

    @Test func withoutTheDatabaseOrSavedKeysItExitsWithOneLine() throws {
        let port = try LocalClusterPort.free()
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-nokeys-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let process = try BackgroundProcess(
            [
                SluiceBinary.path, "serve", "--port", "0", "--spool-dir", spool, "--no-jobs",
                "--database-url", "host=127.0.0.1 port=\(port) user=postgres dbname=nothing",
            ],
            environment: ["SLUICE_LOG_LEVEL": "error"]
        )
        #expect(try process.wait() == 1)
        let lines = process.log.split(separator: "\n")
        #expect(lines.count == 1, "\(process.log)")
        #expect(process.log.contains("holds no project keys"), "\(process.log)")
        #expect(process.log.contains("start sluice serve once while the database is reachable"))
    }
}
