import Foundation
import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceStore
import SluiceTestSupport
import SluiceWorkload

/// A migrated database with a week of realistic events in daily partitions, and an archive directory.
struct RetentionFixture {
    let connection: PostgresConnection
    let today: CalendarDay
    let archive: ArchiveDirectory
    let root: String

    /// Days today-6 … today, each with its partition and rows; `retentionDays` 3 makes today-6 … today-4 due.
    init(_ label: String, rows: Int = 1_200) throws {
        connection = try TestDatabase.migrated(label)
        let today = CalendarDay(year: 2026, month: 12, day: 1)!
        self.today = today
        try PartitionMaintainer(backfillDays: 6, premakeDays: 0).run(connection, today: today)
        var generator = SyntheticEvents(projectID: 1, seed: 7, days: 7, users: 200, now: today.adding(days: 1).start)
        let first = today.adding(days: -6)
        let generated = generator.rows(rows).filter { CalendarDay($0.timestamp) >= first }
        _ = try connection.copyEvents(generated)
        root = NSTemporaryDirectory() + "sluice-retention-\(label)-\(UUID().uuidString)"
        archive = ArchiveDirectory(path: root + "/archive")
    }

    func archiver(days: Int = 3) -> PartitionArchiver {
        var archiver = PartitionArchiver(policy: RetentionPolicy(days: days), directory: archive)
        archiver.locks.retryDelays = .milliseconds(10) ... .milliseconds(20)  // allow-timing: retry pause, not a wait
        return archiver
    }

    /// The md5 of a day's rows in a fixed order, every column included.
    /// With `id`, the rows a restore keeps after that id was erased are summed (its user_id, anonymous_id or
    /// previous_id rows left out).
    func checksum(_ day: CalendarDay, excluding id: String? = nil) throws -> String? {
        let from = "'\(day) 00:00:00+00'"
        let to = "'\(day.adding(days: 1)) 00:00:00+00'"
        let exclude =
            id.map { " AND NOT coalesce('\($0)' = ANY (ARRAY[user_id, anonymous_id, previous_id]), false)" } ?? ""
        return try connection.query(
            """
            SELECT md5(string_agg(e::text, E'\\n' ORDER BY message_id)) FROM analytics.events e
            WHERE "timestamp" >= \(from) AND "timestamp" < \(to)\(exclude)
            """
        ).string(0, 0)
    }

    func count(_ day: CalendarDay) throws -> Int {
        let from = "'\(day) 00:00:00+00'"
        let to = "'\(day.adding(days: 1)) 00:00:00+00'"
        return try connection.query(
            "SELECT count(*) FROM analytics.events WHERE \"timestamp\" >= \(from) AND \"timestamp\" < \(to)"
        ).int(0, 0) ?? -1
    }

    /// Names of the tables `events_pYYYYMMDD` in schema analytics, attached or not.
    func tables() throws -> [String] {
        let result = try connection.query(
            """
            SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'analytics' AND c.relkind = 'r' AND c.relname ~ '^events_p[0-9]{8}$' ORDER BY 1
            """
        )
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
