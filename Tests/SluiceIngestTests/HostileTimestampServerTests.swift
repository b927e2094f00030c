import Foundation
import SluiceCore
import SluicePostgres
import Testing

/// Event times a public write key can send that PostgreSQL would refuse or file in the default partition,
/// through the real server and loader: the batch loads in one `COPY` (nothing refused, no dead letters) and
/// the replaced rows say so in `context.sluice`.
@Suite(.serialized) struct HostileTimestampServerTests {
    @Test func timesBeforeTheWindowOrOutOfRangeLoadWithoutDeadLetters() async throws {
        let harness = try IngestHarness(label: "hostiletime")
        defer { harness.removeSpool() }
        let events = [
            // About 7,970 BC after skew correction: outside timestamptz, PostgreSQL would refuse the row.
            #"{"type":"track","messageId":"bc","userId":"u","event":"E","originalTimestamp":"0000-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}"#,
            // Long before the 90-day backfill window: it would land in the default partition.
            #"{"type":"track","messageId":"old","userId":"u","event":"E","timestamp":"1999-01-01T00:00:00Z"}"#,
            // About 10,000 years ahead: the future guard.
            #"{"type":"track","messageId":"far","userId":"u","event":"E","originalTimestamp":"9999-12-31T23:59:59Z","sentAt":"0000-01-01T00:00:00Z"}"#,
            #"{"type":"track","messageId":"fine","userId":"u","event":"E"}"#,
        ]
        try await harness.withServer { server in
            let answer = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch(events), writeKey: harness.writeKey
            )
            #expect(answer.status == 200)
            #expect(answer.body == #"{"success":true}"#, "every event accepted, none rejected")
            try await server.waitUntilLoaded()
        }
        let connection = try harness.connection()
        #expect(try connection.query("SELECT count(*) FROM sluice.dead_letters").int(0, 0) == 0)
        #expect(try connection.query("SELECT count(*) FROM analytics.events_default").int(0, 0) == 0)
        let result = try connection.query(
            """
            SELECT message_id, "timestamp" = received_at, context->'sluice'->>'pastTimestampReplaced',
                   context->'sluice'->>'futureTimestampReplaced'
            FROM analytics.events ORDER BY message_id
            """
        )
        var rows: [String: [String?]] = [:]
        for row in 0..<result.rowCount { rows[result.string(row, 0)!] = (1...3).map { result.string(row, $0) } }
        #expect(rows.count == 4)
        #expect(rows["bc"]?[0] == "t")
        #expect(rows["bc"]?[1]?.hasPrefix("-7") == true, "\(rows["bc"] ?? [])")
        #expect(rows["old"]?[0] == "t")
        #expect(rows["old"]?[1] == "1999-01-01T00:00:00Z")
        #expect(rows["far"]?[0] == "t")
        #expect(rows["far"]?[2] != nil)
        #expect(rows["fine"]?[0] == "t", "no time sent: the receive time")
        #expect(rows["fine"]?[1] == nil && rows["fine"]?[2] == nil)
    }
}
