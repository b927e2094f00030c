import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

/// What `docs/architecture.md` and `docs/operations.md` promise of the spool, checked through a real
/// `sluice serve` child, real HTTP and a real PostgreSQL: dedupe across a restart and across concurrent
/// requests, `--ack memory`'s background sync, group commit, and a shutdown that runs past its deadline.
@Suite(.serialized) struct ServerPromisesTests {
    /// The stored rows for each messageId.
    static func storedCounts(_ databaseURL: String) throws -> [String: Int] {
        let result = try PostgresConnection(databaseURL).query(
            "SELECT message_id, count(*) FROM analytics.events GROUP BY message_id"
        )
        var counts: [String: Int] = [:]
        for row in 0..<result.rowCount { counts[result.string(row, 0) ?? ""] = try result.int(row, 1) }
        return counts
    }

    /// Waits until `ids.count` distinct messageIds are stored, then checks that each of `ids` is stored once.
    static func expectStoredOnce(_ ids: [String], databaseURL: String) async throws {
        try await HangGuard.wait(for: "\(ids.count) events stored") {
            try storedCounts(databaseURL).count >= ids.count
        }
        let counts = try storedCounts(databaseURL)
        #expect(counts == Dictionary(uniqueKeysWithValues: ids.map { ($0, 1) }), "\(counts)")
    }

    @Test func theDedupeWindowIsRebuiltFromTheUnloadedSpoolAfterAKill() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("spooldedupe") }
        defer { setup.removeSpool() }
        let first = try await ChildServer.start(setup)
        try await first.waitUntilReady()
        // The loader waits behind the lock: the events are acknowledged (fsync'd) but only in the spool.
        let lock = try EventsTableLock(setup.databaseURL)
        let ids = (0..<40).map { "spooled-\($0)" }
        #expect(try await first.post(Array(ids[..<25])).status == 200)
        #expect(try await first.post(Array(ids[25...])).status == 200)
        try await HangGuard.wait(for: "the loader to wait for the table lock") { try lock.hasWaiter() }
        try await first.kill()
        #expect(try lock.storedRows() == 0)
        try lock.release()

        let second = try await ChildServer.start(setup)
        let rebuilt = try await second.line(containing: "dedupe window rebuilt")
        #expect(rebuilt.contains("fromSpool=40"), "\(rebuilt)")
        #expect(rebuilt.contains("fromDatabase=0"), "\(rebuilt)")
        // Every id sent again is known: accepted (so an SDK does not retry), dropped and counted.
        let again = try await second.post(ids)
        #expect(again.status == 200)
        #expect(again.body == #"{"success":true}"#)
        let metrics = try await second.metrics()
        #expect(metrics["sluice_duplicates_total"] == 40)
        #expect(metrics["sluice_events_spooled_total"] == 0)
        try await Self.expectStoredOnce(ids, databaseURL: setup.databaseURL)
        #expect(try await second.stop() == 0)
    }

    @Test func theSameMessageIDsInConcurrentRequestsAreStoredOnce() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("concurrentdupes") }
        defer { setup.removeSpool() }
        let server = try await ChildServer.start(setup)
        let ids = (0..<25).map { "same-\($0)" }
        let requests = 16
        let answers = try await withThrowingTaskGroup(of: HTTPAnswer.self) { group in
            for _ in 0..<requests { group.addTask { try await server.post(ids) } }
            var answers: [HTTPAnswer] = []
            for try await answer in group { answers.append(answer) }
            return answers
        }
        #expect(answers.count == requests)
        #expect(answers.allSatisfy { $0.status == 200 && $0.body == #"{"success":true}"# }, "\(answers.map(\.body))")
        let metrics = try await server.metrics()
        #expect(metrics["sluice_events_accepted_total"] == Double(requests * ids.count))
        #expect(metrics["sluice_events_spooled_total"] == Double(ids.count))
        #expect(metrics["sluice_duplicates_total"] == Double((requests - 1) * ids.count))
        try await Self.expectStoredOnce(ids, databaseURL: setup.databaseURL)
        #expect(try await server.stop() == 0)
    }

    /// `--ack memory` answers before the fsync; the committer then syncs by itself within its 200 ms interval,
    /// with no further request to trigger it. The sync is awaited as an event (the fsync counter moving), not
    /// timed: a count of syncs over a measured interval would flake on a loaded machine.
    @Test func ackMemorySyncsAcknowledgedEventsWithoutAnotherRequest() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("memorysync") }
        defer { setup.removeSpool() }
        let server = try await ChildServer.start(setup, ["--ack", "memory"])
        #expect(try await server.metric("sluice_spool_group_commits_total") == 0)
        let ids = (0..<10).map { "memory-\($0)" }
        #expect(try await server.post(ids).status == 200)
        try await HangGuard.wait(for: "the --ack memory committer to fsync on its own") {
            try await server.metric("sluice_spool_group_commits_total") ?? 0 >= 1
        }
        let metrics = try await server.metrics()
        #expect(metrics["sluice_spool_fsync_seconds_count"] == metrics["sluice_spool_group_commits_total"])
        #expect(metrics["sluice_events_spooled_total"] == 10)
        try await Self.expectStoredOnce(ids, databaseURL: setup.databaseURL)
        #expect(try await server.stop() == 0)
    }

    @Test func groupCommitSyncsFewerTimesThanRequests() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("groupcommit") }
        defer { setup.removeSpool() }
        let server = try await ChildServer.start(setup)
        let waves = 5
        let perWave = 40
        var ids: [String] = []
        for wave in 0..<waves {
            let batches = (0..<perWave).map { request in (0..<5).map { "group-\(wave)-\(request)-\($0)" } }
            ids += batches.flatMap { $0 }
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for batch in batches { group.addTask { try await server.post(batch).status } }
                var statuses: [Int] = []
                for try await status in group { statuses.append(status) }
                return statuses
            }
            #expect(statuses == Array(repeating: 200, count: perWave))
        }
        let metrics = try await server.metrics()
        let syncs = try #require(metrics["sluice_spool_group_commits_total"])
        // Every answered request waited for an fsync (--ack durable); concurrent ones shared them.
        #expect(syncs >= 1)
        #expect(syncs < Double(waves * perWave), "\(syncs) fsyncs for \(waves * perWave) requests")
        #expect(metrics["sluice_spool_fsync_seconds_count"] == syncs)
        #expect(metrics["sluice_events_spooled_total"] == Double(ids.count))
        try await Self.expectStoredOnce(ids, databaseURL: setup.databaseURL)
        #expect(try await server.stop() == 0)
    }

    @Test func aShutdownPastItsDeadlineKeepsTheSpoolExitsZeroAndLoadsItAtTheNextStart() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("pastdeadline") }
        defer { setup.removeSpool() }
        let first = try await ChildServer.start(setup, ["--shutdown-deadline", "1"])
        try await first.waitUntilReady()
        let lock = try EventsTableLock(setup.databaseURL)
        let ids = (0..<30).map { "deadline-\($0)" }
        #expect(try await first.post(ids).status == 200)
        try await HangGuard.wait(for: "the loader to wait for the table lock") { try lock.hasWaiter() }

        // The loader's COPY stays blocked through the deadline and its grace: the server gives up on it.
        #expect(try await first.stop() == 0, "\(first.process.log)")
        #expect(first.process.log.contains("the loader's batch in flight did not finish by the shutdown deadline"))
        #expect(try lock.storedRows() == 0)
        let segments = try FileManager.default.contentsOfDirectory(atPath: setup.spool).filter { $0.hasSuffix(".seg") }
        let spooledBytes = try segments.reduce(0) {
            $0 + ((try FileManager.default.attributesOfItem(atPath: setup.spool + "/" + $1)[.size] as? Int) ?? 0)
        }
        #expect(spooledBytes > 0, "the acknowledged events must still be in the spool")
        try lock.release()

        let second = try await ChildServer.start(setup)
        try await Self.expectStoredOnce(ids, databaseURL: setup.databaseURL)
        #expect(try await second.stop() == 0)
    }
}
