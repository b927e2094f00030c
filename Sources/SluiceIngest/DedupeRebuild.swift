import SluiceCore
import SluicePostgres
import SluiceSpool

/// Refills the dedupe window at start-up, so a duplicate is caught across restarts.
///
/// The window is rebuilt rather than persisted: the events table and the spool already hold every id that
/// was accepted, durably and consistently with what was acknowledged, even after `kill -9`, whereas a
/// saved window would be stale by whatever arrived after its last save. Two sources together cover
/// everything: rows the loader committed (the database), and events acknowledged but not loaded yet
/// (the spool after the loader's checkpoint).
enum DedupeRebuild {
    /// Adds the (project, messageId) of rows received within the window. Returns how many.
    ///
    /// The scan is limited to partitions whose day is at most one day older than the window, so it
    /// prunes to a few partitions: an event backfilled with an older `timestamp` that is sent again after a
    /// restart is not recognised by this scan (docs/architecture.md).
    static func fromDatabase(_ connection: PostgresConnection, into window: inout DedupeWindow) throws -> Int {
        let seconds = window.window.components.seconds
        let result = try connection.query(
            """
            SELECT project_id, message_id FROM analytics.events
            WHERE "timestamp" >= now() - make_interval(secs => $1) - interval '1 day'
              AND received_at >= now() - make_interval(secs => $1)
            ORDER BY received_at
            """,
            [String(seconds)]
        )
        for row in 0..<result.rowCount {
            guard let project = try result.int(row, 0), let message = result.string(row, 1) else { continue }
            _ = window.insert(DedupeWindow.key(projectID: Int64(project), messageID: message))
        }
        return result.rowCount
    }

    /// Adds the events in the spool after `checkpoint`. Returns how many.
    ///
    /// Reads to the end of the files: opening the spool made everything in it durable.
    static func fromSpool(
        directory: String, storage: any SpoolStorage, after checkpoint: SpoolPosition, into window: inout DedupeWindow
    ) throws -> Int {
        let reader = try SpoolReader(
            directory: directory, from: checkpoint, maximumBatchBytes: 256 << 20, storage: storage
        )
        var count = 0
        while let (payload, _) = try reader.next() {
            var tuples = CopyTuples(payload)
            while let tuple = try tuples.next() {
                guard let project = try tuple.projectID(), let message = try tuple.messageID() else { continue }
                _ = window.insert(DedupeWindow.key(projectID: project, messageID: message))
                count += 1
            }
        }
        return count
    }
}
