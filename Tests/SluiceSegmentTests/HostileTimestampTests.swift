import Foundation
import SluiceCore
import Testing

@testable import SluiceSegment

/// Times a public write key can send that PostgreSQL would put in the default partition or refuse outright:
/// each is replaced by `receivedAt` and flagged, never passed on.
@Suite struct HostileTimestampTests {
    /// The first accepted instant for `testReceivedAt` (2026-11-23) with the standard 90-day backfill.
    let earliest = Timestamp(iso8601: "2026-08-25T00:00:00Z")!

    private func flag(_ event: SegmentEvent) throws -> [String: Any] {
        let context = try #require(event.row.context.flatMap(jsonObject))
        return try #require(context["sluice"] as? [String: Any])
    }

    @Test func aTimeBeforeTheBackfillWindowIsReplacedAndFlagged() throws {
        let old = try accepted(
            #"{"type":"track","event":"E","userId":"u","timestamp":"2026-08-24T23:59:59.999999Z","context":{"locale":"en"}}"#
        )
        #expect(old.row.timestamp == testReceivedAt)
        #expect(
            old.row.context
                == #"{"locale":"en","sluice":{"pastTimestampReplaced":"2026-08-24T23:59:59.999999Z"}}"#
        )
        // The first instant of the window's first day is kept as sent.
        let edge = try accepted(#"{"type":"track","event":"E","userId":"u","timestamp":"2026-08-25T00:00:00Z"}"#)
        #expect(edge.row.timestamp == earliest)
        #expect(edge.row.context == nil)
    }

    @Test func theWindowIsTheConfiguredOne() throws {
        let body = batchBody([#"{"type":"track","event":"E","userId":"u","timestamp":"2026-11-20T12:00:00Z"}"#])
        let wide = try decode(body)
        #expect(wide.events.first?.row.timestamp == Timestamp(iso8601: "2026-11-20T12:00:00Z"))
        let narrow = try decode(body, limits: SegmentLimits(partitionWindow: PartitionWindow(backfillDays: 2, premakeDays: 7)))
        #expect(narrow.events.first?.row.timestamp == testReceivedAt)
        #expect(narrow.events.first?.row.context == #"{"sluice":{"pastTimestampReplaced":"2026-11-20T12:00:00Z"}}"#)
    }

    @Test func aSkewCorrectionBeyondPostgresRangeIsReplaced() throws {
        // sentAt 9,999 years after the event: the corrected time is about 7,970 BC, before timestamptz's range
        // (4713 BC), so PostgreSQL would refuse the row.
        let ancient = try accepted(
            #"{"type":"track","event":"E","userId":"u","originalTimestamp":"0000-01-01T00:00:00Z","sentAt":"9999-12-31T23:59:59Z"}"#
        )
        #expect(ancient.row.timestamp == testReceivedAt)
        let replaced = try #require(try flag(ancient)["pastTimestampReplaced"] as? String)
        #expect(replaced.hasPrefix("-7"), "the replaced time is about 7,970 BC: \(replaced)")
        #expect(ancient.row.sentAt == Timestamp(iso8601: "9999-12-31T23:59:59Z"), "sentAt itself is storable")

        // The other way round lands some 10,000 years ahead: the future guard replaces it.
        let distant = try accepted(
            #"{"type":"track","event":"E","userId":"u","originalTimestamp":"9999-12-31T23:59:59Z","sentAt":"0000-01-01T00:00:00Z"}"#
        )
        #expect(distant.row.timestamp == testReceivedAt)
        #expect(try flag(distant)["futureTimestampReplaced"] is String)
    }

    @Test func yearZeroWithoutSentAtIsReplaced() throws {
        let zero = try accepted(#"{"type":"identify","userId":"u","timestamp":"0000-01-01"}"#)
        #expect(zero.row.timestamp == testReceivedAt)
        #expect(zero.row.context == #"{"sluice":{"pastTimestampReplaced":"0000-01-01T00:00:00Z"}}"#)
    }

    @Test func theCorrectionSaturatesInsteadOfOverflowing() {
        let extreme = Timestamp(unixMicroseconds: .max)
        let floor = Timestamp(unixMicroseconds: .min)
        let now = testReceivedAt
        // sentAt − eventTime overflows: the event is infinitely long before its send.
        #expect(EventBuilder.corrected(floor, sentAt: extreme, receivedAt: now).unixMicroseconds == -EventBuilder.saturation)
        #expect(EventBuilder.corrected(extreme, sentAt: floor, receivedAt: now).unixMicroseconds == EventBuilder.saturation)
        // receivedAt − gap overflows.
        let late = Timestamp(unixMicroseconds: .max - 10)
        #expect(EventBuilder.corrected(Timestamp(unixMicroseconds: 0), sentAt: floor.adding(10), receivedAt: late)
            .unixMicroseconds == EventBuilder.saturation)
        // An ordinary correction is exact.
        let event = Timestamp(iso8601: "2026-11-23T11:00:00Z")!
        let sent = Timestamp(iso8601: "2026-11-23T11:00:10Z")!
        #expect(EventBuilder.corrected(event, sentAt: sent, receivedAt: now) == Timestamp(iso8601: "2026-11-23T11:59:50Z"))
        // A saturated time prints without trapping.
        #expect(!Timestamp(unixMicroseconds: -EventBuilder.saturation).iso8601String.isEmpty)
        #expect(!Timestamp(unixMicroseconds: EventBuilder.saturation).iso8601String.isEmpty)
    }

    @Test func aMixedBatchKeepsEveryEventAndFlagsOnlyTheHostileOnes() throws {
        let batch = try decode(
            batchBody([
                #"{"type":"track","event":"E","userId":"u","messageId":"ok","timestamp":"2026-11-23T11:00:00Z"}"#,
                #"{"type":"track","event":"E","userId":"u","messageId":"old","timestamp":"1999-01-01T00:00:00Z"}"#,
                #"{"type":"track","event":"E","userId":"u","messageId":"bc","originalTimestamp":"0001-01-01T00:00:00Z","sentAt":"9000-01-01T00:00:00Z"}"#,
            ])
        )
        #expect(batch.rejected.isEmpty)
        #expect(batch.events.map(\.row.messageID) == ["ok", "old", "bc"])
        #expect(batch.events[0].row.context == nil)
        for event in batch.events.dropFirst() {
            #expect(event.row.timestamp == testReceivedAt)
            #expect(try flag(event)["pastTimestampReplaced"] is String)
        }
    }
}

extension Timestamp {
    fileprivate func adding(_ microseconds: Int64) -> Timestamp {
        Timestamp(unixMicroseconds: unixMicroseconds + microseconds)
    }
}
