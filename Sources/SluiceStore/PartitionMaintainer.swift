import Foundation
import SluiceCore
import SluicePostgres

/// Keeps one partition of `analytics.events` for every UTC day of a window around today.
///
/// The window (``PartitionWindow``) runs from today − `backfillDays` (events that old are still accepted into
/// their own day) to today + `premakeDays` (so a day's partition exists before its first event). A run that
/// finds nothing missing costs one catalog query. A run that creates partitions does it in one transaction
/// under an exclusive lock on `analytics.events`; rows that wait in the default partition for a day being
/// created are moved into the new partition in that same transaction, so PostgreSQL's "updated partition
/// constraint for default partition would be violated" can never stop the job, and no row is visible twice
/// or not at all. The hours of the moved rows are marked in `sluice.event_marks` in that transaction too.
///
/// The exclusive lock is asked for with a `lock_timeout` (``lockTimeout``): a request that waits for a long
/// query to finish would queue every loader's `COPY` behind it, so the job gives up after the timeout, lets
/// the `COPY`s through, and tries again after a pause (``lockRetryDelays``, doubling), at most ``lockAttempts``
/// times a run.
public struct PartitionMaintainer: Sendable {
    /// The days kept.
    public var window: PartitionWindow
    /// How long one attempt waits for its locks (the job's advisory lock and the table's exclusive lock).
    public var lockTimeout: Duration = .seconds(1)
    /// Attempts per run before it gives up (and the next scheduled run tries again).
    public var lockAttempts = 5
    /// The pause after a timed-out attempt: the lower bound first, doubling up to the upper bound.
    public var lockRetryDelays: ClosedRange<Duration> = .milliseconds(500) ... .seconds(8)

    /// Days before today given a partition (``PartitionWindow/daysBack``: the backfill days, or the retention
    /// days when fewer).
    public var backfillDays: Int { window.daysBack }
    /// Days after today given a partition (``PartitionWindow/premakeDays``).
    public var premakeDays: Int { window.premakeDays }

    /// The key of the transaction-level advisory lock that serialises runs of this job across processes.
    static let lockKey: Int64 = 0x736C_7569_6365_0002

    public init(window: PartitionWindow = .standard) {
        self.window = window
    }

    public init(backfillDays: Int, premakeDays: Int) {
        self.init(window: PartitionWindow(backfillDays: backfillDays, premakeDays: premakeDays))
    }

    /// Reads `SLUICE_BACKFILL_DAYS` (default 90), `SLUICE_PREMAKE_DAYS` (default 7) and
    /// `SLUICE_PARTITIONS_LOCK_TIMEOUT` (whole seconds an attempt waits for its locks, default 1).
    /// - Throws: `StoreError` when a number of days is not in 0...3650, or the lock timeout not in 1...3600.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> PartitionMaintainer
    {
        var maintainer: PartitionMaintainer
        do {
            maintainer = PartitionMaintainer(window: try PartitionWindow.fromEnvironment(environment))
        } catch {
            throw StoreError(error.description)
        }
        let name = "SLUICE_PARTITIONS_LOCK_TIMEOUT"
        if let text = environment[name], !text.isEmpty {
            guard let seconds = Int(text), (1...3600).contains(seconds) else {
                throw StoreError("\(name) must be a whole number of seconds in 1...3600, not \"\(text)\"")
            }
            maintainer.lockTimeout = .seconds(seconds)
        }
        return maintainer
    }

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Partitions created by this run, oldest first (e.g. `events_p20261123`).
        public var created: [String] = []
        /// Rows moved out of the default partition into partitions created by this run.
        public var movedRows: Int = 0
        /// Days of the window that already had a partition.
        public var existing: Int = 0
        /// Attempts the run needed to get its locks (1 when nothing was missing).
        public var attempts: Int = 1
    }

    /// The partition name for `day`: `events_pYYYYMMDD` in schema `analytics`.
    public static func partitionName(for day: CalendarDay) -> String { "events_p\(day.compact)" }

    /// Creates whatever partitions of the window around `today` are missing.
    ///
    /// When a lock is not granted within ``lockTimeout`` the transaction is rolled back (nothing half-made,
    /// and the `COPY`s queued behind the request go through), and the run tries again after a pause, up to
    /// ``lockAttempts`` times. Blocks the calling thread for the pauses.
    ///
    /// - Parameter beforeCommit: called on `connection` as the last statement of each attempt's transaction (a
    ///   scheduler's lease fence); what it throws rolls the transaction back. Not called when nothing is
    ///   missing, since nothing is then written.
    /// - Throws: `StoreError` when every attempt timed out on a lock; `PostgresError` from the database
    ///   otherwise (the transaction is rolled back, nothing half-made), or what `beforeCommit` throws.
    @discardableResult
    public func run(
        _ connection: PostgresConnection, today: CalendarDay = .today(),
        beforeCommit: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Report {
        let days = window.dayList(today: today)
        let missing = try missingDays(in: days, connection)
        guard !missing.isEmpty else { return Report(existing: days.count) }
        let attempts = max(1, lockAttempts)
        var delay = lockRetryDelays.lowerBound
        var attempt = 1
        while true {
            do {
                var report = try create(days, connection, beforeCommit: beforeCommit)
                report.attempts = attempt
                return report
            } catch let error as PostgresError where error.sqlState == Self.lockNotAvailable && connection.isOpen {
                guard attempt < attempts else {
                    throw StoreError(
                        "the partitions job could not lock analytics.events within \(lockTimeout) in \(attempts) "
                            + "attempts: a long query or an open transaction holds a lock on it (see pg_locks); "
                            + "the next run tries again"
                    )
                }
            }
            Thread.sleep(forTimeInterval: Double(delay.timeoutMilliseconds) / 1000)
            delay = min(delay * 2, lockRetryDelays.upperBound)
            attempt += 1
        }
    }

    /// SQLSTATE `lock_not_available`: a lock was not granted within `lock_timeout`.
    static let lockNotAvailable = "55P03"

    /// One attempt: the locks (each waiting at most ``lockTimeout``), then the missing days of `days`.
    private func create(
        _ days: [CalendarDay], _ connection: PostgresConnection, beforeCommit: (PostgresConnection) throws -> Void
    ) throws -> Report {
        var report = Report()
        try connection.transaction { connection in
            // Set first, so it bounds the advisory lock's wait (another run moving rows) as well as the table's.
            try connection.execute("SET LOCAL lock_timeout = '\(lockTimeout.timeoutMilliseconds)ms'")
            try connection.query("SELECT pg_advisory_xact_lock($1)", [String(Self.lockKey)])
            // The same lock CREATE TABLE … PARTITION OF takes anyway, taken first so that the lock on the
            // default partition is always acquired after the parent's, in the order loaders take them.
            try connection.execute("LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE")
            let missing = try missingDays(in: days, connection)  // another run may have made some meanwhile
            report.existing = days.count - missing.count
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
