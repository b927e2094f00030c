import SluiceCore
import SluicePostgres
import SluiceSpool

/// Refills the dedupe window at start-up, so a duplicate is caught across restarts.
///
/// The window is rebuilt rather than persisted: the events table and the spool already hold every id that
/// was accepted, durably and consistently with what was acknowledged, even after `kill -9`, whereas a
/// saved window would be stale by whatever arrived after its last save. Two halves together cover
/// everything: events in the spool (acknowledged, perhaps not loaded yet), and rows the loader committed
/// (the database). Each entry keeps the time its event was received, so the rebuilt window expires as the
/// original would have.
///
/// Memory is bounded by the window's capacity, not by the traffic of the last day: the database half is
/// read through a server-side cursor, a chunk at a time, and at most `--dedupe-capacity` ids, the newest.
package enum DedupeRebuild {
    /// Rows fetched per round trip, and handed to the window at a time.
    package static let chunkRows = 10_000

    /// Ids with their receive times, oldest first, as ``DedupeWindow/mergeOlder(_:)`` takes them.
    package typealias Chunk = [(key: UInt64, receivedAt: Timestamp)]

    /// Streams the (project, messageId) keys of the newest `limit` rows received within `window` before
    /// `now`, oldest first, in chunks of ``chunkRows``. Returns how many.
    ///
    /// Every partition a row received in the window can be in is scanned: its `timestamp` is at least the
    /// earliest time the decoder accepted when it arrived (``PartitionWindow/earliestAccepted(at:)`` of
    /// `now − window`), so an event backfilled into a day months back is seen as well as today's. The BRIN
    /// index on `received_at` (migration 0005) lets each partition skip the blocks received before the
    /// window, so the read costs about one window of rows. The newest `limit` are chosen on the server; the
    /// client never holds more than one chunk.
    ///
    /// - Throws: `PostgresError`, or what `chunk` threw.
    @discardableResult
    package static func databaseHalf(
        _ connection: PostgresConnection, window: Duration, limit: Int, partitionWindow: PartitionWindow,
        now: Timestamp = .now(), _ chunk: (Chunk) throws -> Void
    ) throws -> Int {
        let (seconds, overflow) = window.components.seconds.multipliedReportingOverflow(by: 1_000_000)
        let since = Timestamp(unixMicroseconds: overflow ? .min / 2 : now.unixMicroseconds - seconds)
        let earliest = partitionWindow.earliestAccepted(at: since)
        return try connection.forEachBatch(
            of: """
                SELECT project_id, message_id, floor(extract(epoch FROM received_at))::bigint FROM (
                    SELECT project_id, message_id, received_at FROM analytics.events
                    WHERE "timestamp" >= $1::timestamptz AND received_at >= $2::timestamptz
                    ORDER BY received_at DESC LIMIT $3
                ) AS newest
                ORDER BY received_at
                """,
            [earliest.iso8601String, since.iso8601String, String(max(1, limit))],
            batchRows: chunkRows
        ) { rows in
            var entries: Chunk = []
            entries.reserveCapacity(rows.rowCount)
            for row in 0..<rows.rowCount {
                guard let project = try rows.int(row, 0), let message = rows.string(row, 1),
                    let second = try rows.int(row, 2)
                else { continue }
                entries.append(
                    (
                        DedupeWindow.key(projectID: Int64(project), messageID: message),
                        Timestamp(unixMicroseconds: Int64(second) * 1_000_000)
                    )
                )
            }
            try chunk(entries)
        }
    }

    /// Merges the database half into `window` on this thread (at start-up, before anything else uses it).
    ///
    /// - Returns: the rows read, and the keys `window` already held: ids both in the database and in the
    ///   spool, which the loader must not load again.
    package static func mergeDatabaseHalf(
        _ connection: PostgresConnection, into window: inout DedupeWindow, partitionWindow: PartitionWindow
    ) throws -> (rows: Int, present: Set<UInt64>) {
        var present = Set<UInt64>()
        let limit = window.capacity
        let rows = try databaseHalf(
            connection, window: window.window, limit: limit, partitionWindow: partitionWindow
        ) { chunk in
            present.formUnion(window.mergeOlder(chunk))
        }
        return (rows, present)
    }

    /// Adds the events in the spool from `position` up to `limit`, each at its own receive time.
    ///
    /// `limit` is the spool's durable end (``SluiceSpool/SpoolDurableEnd``), as for the loader: a record past
    /// it may still vanish in a power loss, and an id remembered from it would drop the client's re-send. At
    /// start-up it is the end of the files, since opening the spool made everything in them durable.
    ///
    /// - Returns: how many, and the position after the last record read: the spool's end.
    static func fromSpool(
        directory: String, storage: any SpoolStorage, after position: SpoolPosition, upTo limit: SpoolPosition,
        into window: inout DedupeWindow
    ) throws -> (events: Int, end: SpoolPosition) {
        let reader = try SpoolReader(
            directory: directory, from: position, maximumBatchBytes: 256 << 20, storage: storage
        )
        let now = Timestamp.now()
        var count = 0
        while let (payload, _) = try reader.next(upTo: limit) {
            var tuples = CopyTuples(payload)
            while let tuple = try tuples.next() {
                guard let project = try tuple.projectID(), let message = try tuple.messageID() else { continue }
                let receivedAt = (try? tuple.receivedAt()) ?? nil
                _ = window.insert(DedupeWindow.key(projectID: project, messageID: message), at: receivedAt ?? now)
                count += 1
            }
        }
        return (count, reader.position)
    }
}
