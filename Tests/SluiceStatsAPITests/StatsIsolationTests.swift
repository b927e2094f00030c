import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Synchronization
import Testing

/// Stats queries run on their own connections and threads: while every one of them is stuck in the database,
/// ingest requests are still acknowledged and loaded, and further dashboard requests are turned away at
/// once instead of piling up.
@Suite struct StatsIsolationTests {
    @Test func stuckStatsQueriesDelayNeitherAcknowledgementsNorLoading() async throws {
        let harness = try StatsHarness(label: "isolation")
        try await harness.withServer(stats: {
            $0.poolSize = 2; $0.maxQueued = 2
            // The held queries must outlast the ingest below, however slow the machine, rather than be cancelled.
            $0.statementTimeout = HangGuard.limit  // allow-timing: the stuck queries wait on the lock, not on time
        }) { server in
            // Warm the read key, then hold a lock every rollup query waits for.
            #expect(try await server.stats("aggregate").status == 200)
            let lock = try harness.connection()
            try lock.execute("BEGIN; LOCK TABLE analytics.rollup_daily IN ACCESS EXCLUSIVE MODE")

            let finished = Finished()
            func stuckRequest() -> Task<HTTPAnswer, any Error> {
                Task {
                    defer { finished.count.add(1, ordering: .relaxed) }
                    return try await server.stats("aggregate?metrics=visitors,pageviews")
                }
            }
            // Two requests first, until both hold a connection: sent together with the next two, all four
            // could reach the queue before a pool thread takes one, and the last two would be refused.
            var stuck = [stuckRequest(), stuckRequest()]
            let watcher = try harness.connection()
            try await HangGuard.wait(for: "both stats connections wait on the lock") {
                try watcher.query(
                    """
                    SELECT count(*) FROM pg_stat_activity
                    WHERE application_name = 'sluice-stats' AND wait_event_type = 'Lock'
                    """
                ).int(0, 0) == 2
            }
            stuck += [stuckRequest(), stuckRequest()]
            try await HangGuard.wait(for: "two more queries wait in the pool's queue") { server.pool.queuedCount == 2 }
            // The pool is full: the next dashboard request is refused at once.
            let refused = try await server.stats("aggregate")
            #expect(refused.status == 503, "\(refused)")
            #expect(refused.json?["error"] as? String != nil)
            #expect(refused.headers["retry-after"] == "1")

            // Meanwhile ingest goes on: acknowledged and committed while the stats queries are stuck.
            let now = Timestamp.now().unixMicroseconds
            let events = (0..<500).map { index in
                var event = SentEvent(messageID: "iso-\(index)", kind: .page, anonymousID: "p\(index % 50)", time: now)
                event.path = "/"
                return event.json
            }
            try await server.send(events)
            try await server.waitUntilLoaded()
            let loaded = try watcher.query(
                "SELECT count(*) FROM analytics.events WHERE project_id = $1", [String(harness.projectID)]
            ).int(0, 0)
            #expect(loaded == 500)
            #expect(finished.count.load(ordering: .relaxed) == 0, "the stats queries were not stuck after all")

            try lock.execute("ROLLBACK")
            for task in stuck {
                #expect(try await task.value.status == 200)
            }
        }
    }
}

/// How many stats requests have returned.
private final class Finished: Sendable {
    let count = Atomic<Int>(0)
}
