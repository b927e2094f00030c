import Foundation
import SluiceCore
import SluicePostgres
import SluiceStore
import Testing

/// Ids re-sent after a restart, through the real server: the rebuilt window recognises backfilled events too.
@Suite(.serialized) struct DedupeRestartTests {
    @Test func aBackfilledEventSentAgainAfterARestartIsStoredOnce() async throws {
        let harness = try IngestHarness(label: "backfillagain")
        defer { harness.removeSpool() }
        try PartitionMaintainer(backfillDays: 90, premakeDays: 1).run(try harness.connection())
        let old = CalendarDay.today().adding(days: -60).description + "T08:00:00Z"
        let events = [
            Events.track("backfill-1", extra: #","timestamp":"\#(old)""#),
            Events.track("recent-1"),
        ]
        try await harness.withServer { server in
            let answer = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch(events), writeKey: harness.writeKey
            )
            #expect(answer.status == 200)
            try await server.waitUntilLoaded()
        }
        // Loaded, so the second start finds them in the database only (its spool holds nothing unloaded).
        try await harness.withServer { server in
            #expect(server.server.startReport.dedupeFromSpool == 0)
            #expect(server.server.startReport.dedupeFromDatabase == 2)
            let again = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch(events), writeKey: harness.writeKey
            )
            #expect(again.status == 200)
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["backfill-1": 1, "recent-1": 1])
    }
}
