import Foundation
import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@testable import SluiceIngest

/// The database half of the dedupe rebuild: streamed through a cursor in chunks, bounded by the capacity
/// (newest first), each id with its own receive time, from every partition of the partition window.
@Suite struct DedupeRebuildTests {
    /// Inserts `count` rows numbered from `first`, received `receivedSecondsAgo` … (one second apart, older
    /// as the number grows), with `timestamp` `daysBack` days before today.
    private func insert(
        _ connection: PostgresConnection, prefix: String, count: Int, receivedSecondsAgo: Int, daysBack: Int = 0
    ) throws {
        try connection.query(
            """
            INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
            SELECT 1, $1 || n, 'track', date_trunc('day', now()) - make_interval(days => $4::int) + interval '1 hour',
                   now() - make_interval(secs => $2::int + n)
            FROM generate_series(0, $3::int - 1) AS n
            """,
            [prefix, String(receivedSecondsAgo), String(count), String(daysBack)]
        )
    }

    private func read(_ connection: PostgresConnection, limit: Int) throws -> (chunks: [Int], entries: DedupeRebuild.Chunk) {
        var chunks: [Int] = []
        var entries: DedupeRebuild.Chunk = []
        let total = try DedupeRebuild.databaseHalf(
            connection, window: .seconds(24 * 3600), limit: limit, partitionWindow: .standard
        ) { chunk in
            chunks.append(chunk.count)
            entries.append(contentsOf: chunk)
        }
        #expect(total == entries.count)
        return (chunks, entries)
    }

    @Test func streamsInChunksOldestFirstWithTheirReceiveTimes() throws {
        let connection = try TestDatabase.migrated("rebuildstream")
        try PartitionMaintainer(backfillDays: 90, premakeDays: 1).run(connection)
        try insert(connection, prefix: "r", count: 25_000, receivedSecondsAgo: 60)
        let (chunks, entries) = try read(connection, limit: 1_000_000)
        #expect(chunks == [10_000, 10_000, 5_000], "one FETCH of \(DedupeRebuild.chunkRows) rows at a time")
        let times = entries.map(\.receivedAt.unixMicroseconds)
        #expect(times == times.sorted(), "oldest first")
        // The oldest row was received 60 + 24,999 seconds ago, the newest 60 seconds ago.
        let now = Timestamp.now().unixMicroseconds
        let oldestAge = (now - times.first!) / 1_000_000
        let newestAge = (now - times.last!) / 1_000_000
        #expect((25_058...25_120).contains(oldestAge), "\(oldestAge)")
        #expect((58...120).contains(newestAge), "\(newestAge)")
        #expect(entries.last?.key == DedupeWindow.key(projectID: 1, messageID: "r0"))
    }

    @Test func readsAtMostTheCapacityAndTheNewestOnes() throws {
        let connection = try TestDatabase.migrated("rebuildlimit")
        try PartitionMaintainer(backfillDays: 90, premakeDays: 1).run(connection)
        try insert(connection, prefix: "n", count: 50, receivedSecondsAgo: 10)
        let (_, entries) = try read(connection, limit: 20)
        #expect(entries.count == 20)
        // n0 … n19 are the newest (received 10 … 29 seconds ago).
        #expect(Set(entries.map(\.key)) == Set((0..<20).map { DedupeWindow.key(projectID: 1, messageID: "n\($0)") }))
    }

    @Test func seesBackfilledRowsAndSkipsRowsReceivedBeforeTheWindow() throws {
        let connection = try TestDatabase.migrated("rebuildbackfill")
        try PartitionMaintainer(backfillDays: 90, premakeDays: 1).run(connection)
        try insert(connection, prefix: "today", count: 3, receivedSecondsAgo: 100)
        // Backfilled into a day 80 days back, received an hour ago: its own old partition.
        try insert(connection, prefix: "backfill", count: 2, receivedSecondsAgo: 3_600, daysBack: 80)
        // Received 25 hours ago: outside the 24-hour window.
        try insert(connection, prefix: "stale", count: 2, receivedSecondsAgo: 25 * 3_600)
        let partition = try connection.query(
            "SELECT DISTINCT tableoid::regclass::text FROM analytics.events WHERE message_id LIKE 'backfill%'"
        ).string(0, 0)
        #expect(partition?.hasPrefix("analytics.events_p") == true, "the backfill has a partition of its own")
        let (_, entries) = try read(connection, limit: 100)
        let expected = ["backfill0", "backfill1", "today0", "today1", "today2"]
        #expect(Set(entries.map(\.key)) == Set(expected.map { DedupeWindow.key(projectID: 1, messageID: $0) }))
    }

    @Test func theWindowMergesTheDatabaseHalfAndNamesTheIdsItHeldAlready() throws {
        func expectNew(_ window: inout DedupeWindow, _ key: UInt64, at time: Timestamp) {
            let isNew = window.insert(key, at: time)
            #expect(isNew)
        }
        let connection = try TestDatabase.migrated("rebuildmerge")
        try PartitionMaintainer(backfillDays: 90, premakeDays: 1).run(connection)
        try insert(connection, prefix: "db", count: 5, receivedSecondsAgo: 100)
        var window = DedupeWindow(window: .seconds(24 * 3600), capacity: 1_000)
        // The window already knows db2 (say from the spool) and one id the database does not have.
        let now = Timestamp.now()
        expectNew(&window, DedupeWindow.key(projectID: 1, messageID: "db2"), at: now)
        expectNew(&window, DedupeWindow.key(projectID: 1, messageID: "spool-only"), at: now)
        let (rows, present) = try DedupeRebuild.mergeDatabaseHalf(
            connection, into: &window, partitionWindow: .standard
        )
        #expect(rows == 5)
        #expect(present == [DedupeWindow.key(projectID: 1, messageID: "db2")])
        #expect(window.count == 6)
        #expect((100...200).contains(window.spanSeconds), "from the oldest row, 104 s ago: \(window.spanSeconds)")
    }

    @Test func theReceiveTimeFieldIsReadFromSpoolTuples() throws {
        #expect(EventRow.columns[CopyTuples.receivedAtField] == "received_at")
        let received = Timestamp(unixMicroseconds: 1_780_000_000_123_456)
        var encoder = CopyEncoder()
        encoder.append(
            EventRow(
                projectID: 3, messageID: "m", type: .track, event: "E", anonymousID: "a",
                timestamp: Timestamp(unixMicroseconds: 1_770_000_000_000_000), receivedAt: received
            )
        )
        var tuples = CopyTuples(encoder.bytes)
        #expect(try tuples.next()?.receivedAt() == received)
    }
}
