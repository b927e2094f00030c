import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice_dedupe_window_span_seconds` on `/metrics` of a real `sluice serve` (a child process, so that the
/// process-wide registry holds this server's values alone): after a start whose rebuild read ids received two
/// hours ago, it is the seconds from the oldest of them to the newest id, as recomputed from the database and
/// the test's own clock around the request.
@Suite(.serialized) struct DedupeSpanMetricTests {
    @Test func theSpanOnMetricsRunsFromTheOldestRebuiltIdToTheNewestAcceptedOne() async throws {
        let setup = try CrashRecoveryTests.setup("dedupespan")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let database = try PostgresConnection(setup.databaseURL)
        try PartitionMaintainer().run(database)
        // Two ids stored before this server ever ran, received 2 h and 1 min ago (within the 24 h window).
        try database.query(
            """
            INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
            SELECT (SELECT min(id) FROM sluice.projects), 'stored-' || s, 'track', now() - make_interval(secs => s),
                   now() - make_interval(secs => s)
            FROM unnest(ARRAY[7200, 60]) AS s
            """
        )

        let (server, url) = try await CrashRecoveryTests.serve(setup)
        func metric(_ name: String) async throws -> Double? {
            PrometheusText.value(of: name, in: try await HTTP.get("\(url)/metrics").body)
        }
        try await HangGuard.wait(for: "the rebuilt dedupe window to hold the 2 stored ids") {
            try await metric("sluice_dedupe_entries") == 2
        }
        let before = Timestamp.now()
        let answer = try await HTTP.post(
            "\(url)/v1/batch", json: Events.batch([Events.track("fresh")]), writeKey: setup.writeKey
        )
        let after = Timestamp.now()
        #expect(answer.status == 200)
        try await HangGuard.wait(for: "the window to hold the new id as well") {
            try await metric("sluice_dedupe_entries") == 3
        }
        let span = try #require(try await metric("sluice_dedupe_window_span_seconds"), "the span is exported")

        // The oldest entry is the stored id's receive time, in whole seconds; the newest is the acceptance of
        // "fresh", which happened between `before` and `after`.
        let oldest = try #require(
            try database.query(
                "SELECT floor(extract(epoch FROM min(received_at)))::bigint FROM analytics.events"
            ).int(0, 0)
        )
        let seconds = { (time: Timestamp) in Int(time.unixMicroseconds / 1_000_000) }
        let expected = (seconds(before) - oldest)...(seconds(after) - oldest)
        #expect(expected.contains(Int(span)), "span \(span), expected within \(expected)")
        #expect(span >= 7200, "the rebuilt ids keep their own receive times, not the restart's")

        server.signal(SIGTERM)
        await #expect(try server.wait(timeout: HangGuard.limit) == 0, "\(server.log)")
    }
}
