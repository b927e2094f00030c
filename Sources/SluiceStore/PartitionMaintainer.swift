import Foundation
import SluiceCore
import SluicePostgres

/// Keeps one partition of `analytics.events` for every UTC day of a window around today.
///
/// The window runs from today − `backfillDays` (events that old are still accepted into their own day) to
/// today + `premakeDays` (so a day's partition exists before its first event). A run that finds nothing
/// missing costs one catalog query. A run that creates partitions does it in one transaction under an
/// exclusive lock on `analytics.events`; rows that wait in the default partition for a day being created are
/// moved into the new partition in that same transaction, so PostgreSQL's "updated partition constraint for
/// default partition would be violated" can never stop the job, and no row is visible twice or not at all.
/// The hours of the moved rows are marked in `sluice.event_marks` in that transaction too.
public struct PartitionMaintainer: Sendable {
    public var backfillDays: Int
    public var premakeDays: Int

    /// The key of the transaction-level advisory lock that serialises runs of this job across processes.
    static let lockKey: Int64 = 0x736C_7569_6365_0002

    public init(backfillDays: Int = 90, premakeDays: Int = 7) {
        self.backfillDays = backfillDays
        self.premakeDays = premakeDays
    }

    /// Reads `SLUICE_BACKFILL_DAYS` (default 90) and `SLUICE_PREMAKE_DAYS` (default 7).
    /// - Throws: `StoreError` when either is not a whole number of days in 0...3650.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> PartitionMaintainer
    {
        func days(_ name: String, default value: Int) throws -> Int {
            guard let text = environment[name], !text.isEmpty else { return value }
            guard let days = Int(text), (0...3650).contains(days) else {
                throw StoreError("\(name)=\(text) is not a number of days between 0 and 3650")
            }
            return days
        }
        return PartitionMaintainer(
            backfillDays: try days("SLUICE_BACKFILL_DAYS", default: 90),
            premakeDays: try days("SLUICE_PREMAKE_DAYS", default: 7)
        )
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Partitions created by this run, oldest first (e.g. `events_p20261123`).
        public var created: [String] = []
        /// Rows moved out of the default partition into partitions created by this run.
        public var movedRows: Int = 0
        /// Days of the window that already had a partition.
        public var existing: Int = 0
    }

    /// The partition name for `day`: `events_pYYYYMMDD` in schema `analytics`.
    public static func partitionName(for day: CalendarDay) -> String { "events_p\(day.compact)" }

    /// Creates whatever partitions of the window around `today` are missing.
    ///
    /// - Parameter beforeCommit: called on `connection` as the last statement of the transaction that creates
    ///   partitions (a scheduler's lease fence); what it throws rolls the transaction back. Not called when
    ///   nothing is missing, since nothing is then written.
    /// - Throws: `PostgresError` from the database (the transaction is rolled back, nothing half-made), or
    ///   what `beforeCommit` throws.
    @discardableResult
    public func run(
        _ connection: PostgresConnection, today: CalendarDay = .today(),
        beforeCommit: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Report {
        let window = (-backfillDays...premakeDays).map { today.adding(days: $0) }
        var missing = try missingDays(in: window, connection)
        var report = Report(existing: window.count - missing.count)
        guard !missing.isEmpty else { return report }

        try connection.transaction { connection in
            try connection.query("SELECT pg_advisory_xact_lock($1)", [String(Self.lockKey)])
            // The same lock CREATE TABLE … PARTITION OF takes anyway, taken first so that the lock on the
            // default partition is always acquired after the parent's, in the order loaders take them.
            try connection.execute("LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE")
            missing = try missingDays(in: window, connection)  // another run may have made some meanwhile
            report.existing = window.count - missing.count
            let waiting = try daysWithRowsInDefault(connection)
            let needsMove = missing.filter { waiting.contains($0) }
            if !needsMove.isEmpty {
                try connection.execute(
                    "CREATE TEMPORARY TABLE sluice_moving (LIKE analytics.events) ON COMMIT DROP"
                )
            }
            for day in missing {
                let (from, to) = (Self.literal(day), Self.literal(day.adding(days: 1)))
                let name = Self.partitionName(for: day)
                if needsMove.contains(day) {
                    let moved = try connection.execute(
                        """
                        WITH moved AS (
                            DELETE FROM analytics.events_default
                            WHERE "timestamp" >= \(from) AND "timestamp" < \(to)
                            RETURNING *
                        )
                        INSERT INTO sluice_moving SELECT * FROM moved
                        """
                    )
                    report.movedRows += moved.affectedRows
                }
                try connection.execute(
                    "CREATE TABLE analytics.\(name) PARTITION OF analytics.events FOR VALUES FROM (\(from)) TO (\(to))"
                )
                if needsMove.contains(day) {
                    try connection.execute("INSERT INTO analytics.events SELECT * FROM sluice_moving")
                    // The moved rows' hours, for the sessions and rollups jobs: rows that reached the default
                    // partition other than through the loader (a restore, a manual INSERT, a Sluice from before
                    // marks) were never marked.
                    try connection.execute(
                        """
                        INSERT INTO \(MarkTable.events.name) (project_id, hour)
                        SELECT DISTINCT project_id, date_trunc('hour', "timestamp", 'UTC') FROM sluice_moving
                        """
                    )
                    try connection.execute("TRUNCATE sluice_moving")
                }
                report.created.append(name)
            }
            try beforeCommit(connection)
        }
        return report
    }

    private func missingDays(in window: [CalendarDay], _ connection: PostgresConnection) throws -> [CalendarDay] {
        let result = try connection.query(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'analytics.events'::regclass
            """
        )
        let existing = Set((0..<result.rowCount).compactMap { result.string($0, 0) })
        return window.filter { !existing.contains(Self.partitionName(for: $0)) }
    }

    private func daysWithRowsInDefault(_ connection: PostgresConnection) throws -> Set<CalendarDay> {
        let result = try connection.query(
            """
            SELECT DISTINCT to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD') FROM analytics.events_default
            """
        )
        return Set((0..<result.rowCount).compactMap { result.string($0, 0).flatMap(CalendarDay.init) })
    }

    /// Midnight UTC of `day` as a SQL literal. Built from a `CalendarDay`, never from user text.
    private static func literal(_ day: CalendarDay) -> String { "'\(day) 00:00:00+00'" }
}
