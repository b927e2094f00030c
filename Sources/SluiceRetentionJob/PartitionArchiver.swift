import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRollupsJob

/// One run of retention: archives each daily partition of `analytics.events` past the horizon, verifies the
/// archive against the partition, drops the partition; then purges old job runs, dead letters, visits and
/// rollup rows (``purge(_:today:into:fence:)``).
///
/// Per due day, in this order, each step durable before the next starts:
/// 1. detach the partition (a short `ACCESS EXCLUSIVE` lock, ``ShortLocks``), so no row can arrive while it
///    is copied and queries stop seeing a day that is leaving;
/// 2. `COPY (SELECT …) TO STDOUT (FORMAT binary)` through zstd into the archive's temporary file, fsync,
///    rename, fsync the directory (``ArchiveDirectory/write(_:level:beforeRename:_:)``);
/// 3. append the manifest line (fsync);
/// 4. read the file back from the disk, decompress it and count its tuples: they must equal the
///    partition's `count(*)` (and the hash and size what was written);
/// 5. drop the table.
///
/// A crash anywhere leaves the partition (attached, or detached as `analytics.events_pYYYYMMDD`) or a
/// verified archive, never neither: the table is dropped only after step 4. The next run finds detached
/// tables of due days as well as attached partitions and does their remaining steps again from step 2
/// (writing the archive again is cheaper to reason about than trusting a half-finished one). A day whose
/// partition is gone is done: the second run of a day is a no-op.
///
/// Before the first detach, the default partition gets a `CHECK ("timestamp" >= first kept day)` constraint
/// (`events_default_retention_horizon`, `NOT VALID`, moved forward each run): a late row for a dropped day
/// would otherwise land in the default partition; PostgreSQL now refuses it, and the loader keeps it as a
/// dead letter whose error names the constraint.
public struct PartitionArchiver: Sendable {
    public var policy: RetentionPolicy
    /// Where archives go; nil drops without archiving (only with ``archiving`` `.off`).
    public var directory: ArchiveDirectory?
    public var archiving: Archiving
    public var locks = ShortLocks()
    /// zstd level of the archives.
    public var level = 3
    /// The environment ``RetentionFault`` reads.
    public var faults: [String: String] = [:]

    /// Whether a due partition is archived before it is dropped.
    public enum Archiving: Sendable, Equatable {
        /// Archive to ``PartitionArchiver/directory``; refuse to drop when there is none.
        case required
        /// Drop without archiving (`--no-archive`, `SLUICE_ARCHIVE=off`).
        case off
    }

    public init(policy: RetentionPolicy, directory: ArchiveDirectory?, archiving: Archiving = .required) {
        self.policy = policy
        self.directory = directory
        self.archiving = archiving
    }

    /// The constraint on the default partition that refuses rows before the horizon.
    public static let horizonConstraint = "events_default_retention_horizon"

    /// What a run did.
    public struct Report: Sendable, Equatable {
        /// Days archived (when archiving) and dropped, oldest first.
        public var dropped: [CalendarDay] = []
        /// Rows in the dropped partitions.
        public var rows = 0
        /// Compressed bytes written.
        public var archivedBytes = 0
        /// Uncompressed `COPY` bytes written.
        public var copyBytes = 0
        public var jobRunsPurged = 0
        public var deadLettersPurged = 0
        /// Visits of `analytics.sessions` started before the events' horizon.
        public var sessionsPurged = 0
        /// Rows of the four rollup tables before the rollups' horizon.
        public var rollupRowsPurged = 0
        /// Whether the run stopped early because it was asked to (the next run carries on).
        public var stopped = false
    }

    /// A partition of a due day, attached or left detached by an interrupted run.
    struct Candidate: Equatable {
        var day: CalendarDay
        var attached: Bool
        var table: String { "analytics.\(ArchiveName(day: day).partitionName)" }
    }

    /// Runs retention for `today`.
    ///
    /// - Parameters:
    ///   - fence: called last in every writing transaction (the scheduler's lease check).
    ///   - shouldStop: asked between days; a run that stops leaves every day whole.
    /// - Throws: ``RetentionError`` when no archive is configured while days are due (nothing is dropped),
    ///   when the archive directory cannot be written (nothing is dropped), when an archive does not verify
    ///   (its partition stays), or when a lock is not granted; `PostgresError` from the database.
    public func run(
        _ connection: PostgresConnection, today: CalendarDay = .today(),
        fence: (PostgresConnection) throws -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws -> Report {
        var report = Report()
        let due = try candidates(connection, today: today)
        if !due.isEmpty {
            if archiving == .required {
                guard let directory else {
                    throw RetentionError(
                        .archiveNotConfigured,
                        "\(due.count) partition(s) of analytics.events are past SLUICE_RETENTION_DAYS=\(policy.days), "
                            + "but SLUICE_ARCHIVE_DIR is not set: set it to the archive directory, or drop without an "
                            + "archive with --no-archive (SLUICE_ARCHIVE=off); nothing was dropped"
                    )
                }
                try directory.prepare()
            }
            try moveHorizon(connection, today: today, fence: fence)
            for candidate in due {
                if shouldStop() {
                    report.stopped = true
                    break
                }
                try retire(candidate, connection, into: &report, fence: fence)
            }
        }
        if !report.stopped { try purge(connection, today: today, into: &report, fence: fence) }
        return report
    }

    /// The due days' tables: partitions of `analytics.events`, and tables of that name an interrupted run
    /// detached.
    func candidates(_ connection: PostgresConnection, today: CalendarDay) throws -> [Candidate] {
        let result = try connection.query(
            """
            SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i
                                      WHERE i.inhrelid = c.oid AND i.inhparent = 'analytics.events'::regclass)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'analytics' AND c.relkind = 'r' AND c.relname ~ '^events_p[0-9]{8}$'
            """
        )
        var found: [Candidate] = []
        for row in 0..<result.rowCount {
            guard let name = result.string(row, 0), let day = ArchiveName.day(ofPartition: name) else { continue }
            guard policy.isDue(day, today: today) else { continue }
            found.append(Candidate(day: day, attached: result.bool(row, 1) ?? true))
        }
        return found.sorted { $0.day < $1.day }
    }

    /// Sets the default partition's horizon constraint to the first kept day, unless it says so already.
    func moveHorizon(
        _ connection: PostgresConnection, today: CalendarDay, fence: (PostgresConnection) throws -> Void
    ) throws {
        let first = policy.firstKeptDay(today: today)
        let wanted = "\"timestamp\" >= '\(first) 00:00:00+00'::timestamp with time zone"
        // The definition shows its bound in the session's TimeZone: read it in UTC, as it was written.
        let current = try connection.transaction { connection in
            try connection.execute("SET LOCAL TimeZone = 'UTC'")
            return try connection.query(
                """
                SELECT pg_get_constraintdef(oid) FROM pg_constraint
                WHERE conrelid = to_regclass('analytics.events_default') AND conname = $1
                """,
                [Self.horizonConstraint]
            )
        }
        if current.rowCount == 1, let definition = current.string(0, 0), definition.contains("'\(first) ") {
            return
        }
        guard try connection.query("SELECT to_regclass('analytics.events_default') IS NOT NULL").bool(0, 0) == true
        else { return }
        try locks.transaction("move the retention horizon of analytics.events_default", on: connection, fence: fence) {
            try $0.execute(
                """
                ALTER TABLE analytics.events_default DROP CONSTRAINT IF EXISTS \(Self.horizonConstraint),
                    ADD CONSTRAINT \(Self.horizonConstraint) CHECK (\(wanted)) NOT VALID
                """
            )
        }
    }

    /// Detaches (if attached), archives and verifies (if archiving), then drops one due day's table.
    func retire(
        _ candidate: Candidate, _ connection: PostgresConnection, into report: inout Report,
        fence: (PostgresConnection) throws -> Void
    ) throws {
        let table = candidate.table
        if candidate.attached {
            try locks.transaction("detach \(table)", on: connection, fence: fence) {
                try $0.execute("ALTER TABLE analytics.events DETACH PARTITION \(table)")
            }
            RetentionFault.detached.strike(faults)
        }
        let rows = try connection.query("SELECT count(*) FROM \(table)").int(0, 0) ?? 0
        if archiving == .required, let directory {
            let name = ArchiveName(day: candidate.day)
            var copied = 0
            var copyBytes = 0
            let faults = faults
            let written = try directory.write(
                name, level: level, beforeRename: { RetentionFault.written.strike(faults) }
            ) { sink in
                copied = try connection.copyTo(
                    "COPY (SELECT \(Self.columnList) FROM \(table)) TO STDOUT (FORMAT binary)"
                ) { try sink.write($0) }
                copyBytes = sink.copyBytes
            }
            RetentionFault.renamed.strike(faults)
            guard copied == rows else {
                throw RetentionError(
                    .verificationFailed, "\(table): COPY sent \(copied) rows, count(*) says \(rows); it was kept"
                )
            }
            let entry = ManifestEntry(
                table: name.table, day: name.day, rows: rows, bytes: written.bytes, sha256: written.sha256
            )
            try directory.append(entry)
            RetentionFault.listed.strike(faults)
            let check = try directory.check(directory.filePath(name))
            guard check.rows == rows, check.bytes == written.bytes, check.sha256 == written.sha256 else {
                throw RetentionError(
                    .verificationFailed,
                    "\(directory.filePath(name)) holds \(check.rows) rows (\(check.bytes) bytes, sha256 "
                        + "\(check.sha256)), the partition \(rows) (written \(written.bytes) bytes, sha256 "
                        + "\(written.sha256)); \(table) was kept, detached"
                )
            }
            RetentionFault.verified.strike(faults)
            report.archivedBytes += written.bytes
            report.copyBytes += copyBytes
        }
        try locks.transaction("drop \(table)", on: connection, fence: fence) {
            try $0.execute("DROP TABLE \(table)")
        }
        RetentionFault.dropped.strike(faults)
        report.dropped.append(candidate.day)
        report.rows += rows
    }

    /// Deletes job runs older than ``RetentionPolicy/jobRunDays``, dead letters and visits older than the
    /// horizon, rollup rows older than the rollups' horizon.
    ///
    /// A visit goes once it started before the first kept day: its first event went with its partition, and a
    /// restore of that day derives it again. Rollup rows go by their bucket (an hour's start, a day); a block
    /// of days goes once it ends before the horizon, and one that straddles it is rewritten from its days
    /// that are kept.
    func purge(
        _ connection: PostgresConnection, today: CalendarDay, into report: inout Report,
        fence: (PostgresConnection) throws -> Void
    ) throws {
        let hasJobRuns = try connection.query("SELECT to_regclass('sluice.job_runs') IS NOT NULL").bool(0, 0) == true
        let rollupDay = policy.firstKeptRollupDay(today: today)
        try connection.transaction { connection in
            if hasJobRuns {
                report.jobRunsPurged = try connection.query(
                    """
                    DELETE FROM sluice.job_runs
                    WHERE status <> 'running' AND started_at < $1::timestamptz
                    """,
                    ["\(today.adding(days: -policy.jobRunDays)) 00:00:00+00"]
                ).affectedRows
            }
            let horizon = "\(policy.firstKeptDay(today: today)) 00:00:00+00"
            report.deadLettersPurged = try connection.query(
                "DELETE FROM sluice.dead_letters WHERE created_at < $1::timestamptz", [horizon]
            ).affectedRows
            report.sessionsPurged = try connection.query(
                "DELETE FROM analytics.sessions WHERE session_start < $1::timestamptz", [horizon]
            ).affectedRows
            for (table, column, bound) in [
                ("analytics.rollup_hourly", "bucket", "'\(rollupDay) 00:00:00+00'::timestamptz"),
                ("analytics.rollup_hourly_dims", "bucket", "'\(rollupDay) 00:00:00+00'::timestamptz"),
                ("analytics.rollup_daily", "day", "'\(rollupDay)'::date"),
                ("analytics.rollup_daily_dims", "day", "'\(rollupDay)'::date"),
            ] {
                report.rollupRowsPurged += try connection.execute(
                    "DELETE FROM \(table) WHERE \(column) < \(bound)"
                ).affectedRows
            }
            report.rollupRowsPurged += try connection.execute(
                """
                DELETE FROM analytics.rollup_span_dims
                WHERE first_day + span_days <= '\(rollupDay)'::date
                """
            ).affectedRows
            try fence(connection)
        }
        // The blocks that straddle the horizon still count the days just dropped: rewritten from what is left.
        let straddling = try connection.query(
            "SELECT DISTINCT project_id FROM analytics.rollup_span_dims WHERE first_day < $1::date ORDER BY 1",
            [rollupDay.description]
        )
        let projects = try (0..<straddling.rowCount).map { Int64(try straddling.int($0, 0)!) }
        _ = try RollupsJob.rewriteSpans(holding: [rollupDay], projects: projects, on: connection, fence: fence)
    }

    /// `EventRow.columns`, quoted and comma-separated: the archive's column order.
    static let columnList = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
}
