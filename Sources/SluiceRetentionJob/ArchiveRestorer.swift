import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRollupsJob
import SluiceSessionsJob
import SluiceStore

/// `sluice archive restore`: loads an archived day back into `analytics.events`, checked before anything
/// changes, with the erasures recorded since applied.
///
/// 1. The file must be described by a manifest line (the last for its day): its size and SHA-256 must match
///    that line, and the whole file must decompress to a whole binary `COPY` stream of the manifest's number
///    of rows. Any mismatch (truncated, corrupt, replaced) refuses the restore, and nothing is changed.
/// 2. The day must not be in the database (as a partition or a detached table).
/// 3. In one transaction: a new table `analytics.events_pYYYYMMDD` like `analytics.events`, with a `CHECK`
///    of the day's bounds (so attaching it needs no scan); the archive streamed into it with binary `COPY`,
///    decompressed on the way; every row whose `user_id`, `anonymous_id` or `previous_id` hashes to an id in
///    `sluice.erasures` deleted; then, under a short lock (``ShortLocks``), attached as the day's partition.
///    The same transaction marks every (project, hour) of the rows in `sluice.event_marks`, and the hours of
///    the next day whose events no visit covers (``orphanedHours``).
///    A failure anywhere rolls all of it back.
/// 4. The day's visits are derived again by the sessions job's own code (`SessionsJob.derive`: the
///    sessions table follows the raw horizon, so they went with the partition), then the rollup buckets
///    those steps marked are recomputed by the rollups job's own code (`RollupsJob.recompute`): the day's
///    numbers equal a recomputation from its rows as restored, without the erased people. Should this
///    fail, the rows stay restored and the marks stay for the jobs' next runs.
///
/// The restored partition is past the retention horizon, so the next retention run archives it again (a
/// new manifest line, the rows as they are then) and drops it: a restore is for looking at a day, not for
/// keeping it. Raise `SLUICE_RETENTION_DAYS` first to keep it.
public struct ArchiveRestorer {
    public var directory: ArchiveDirectory
    public var locks = ShortLocks()

    public init(directory: ArchiveDirectory) {
        self.directory = directory
    }

    /// What a restore did.
    public struct Report: Sendable, Equatable {
        public var day: CalendarDay
        /// Rows in the archive.
        public var archivedRows: Int
        /// Rows deleted because their person was erased after the archive was written.
        public var erasedRows: Int
        /// Rows now in the partition.
        public var rows: Int { archivedRows - erasedRows }
        public var bytes: Int
        public var copyBytes: Int
        /// Visits derived again from the restored rows (and the hours around them).
        public var visitsDerived = 0
        /// Hourly rollup buckets (distinct project and hour) recomputed.
        public var bucketsRecomputed = 0
    }

    /// The manifest entry and file a `DAY` or `FILE` argument stands for.
    ///
    /// - Throws: ``RetentionError`` (`.archiveInvalid`) for a day with no manifest line or a file name that is
    ///   not an archive's.
    public func locate(_ argument: String) throws(RetentionError) -> (entry: ManifestEntry, file: String) {
        let latest = ManifestEntry.latest(try directory.manifest())
        if let day = CalendarDay(argument) {
            guard let entry = latest.first(where: { $0.table == ArchiveName.eventsTable && $0.day == day.description })
            else {
                throw RetentionError(
                    .archiveInvalid,
                    "\(directory.manifestPath) has no archive of \(day); see sluice archive list"
                )
            }
            return (entry, directory.filePath(ArchiveName(day: day)))
        }
        guard let name = ArchiveName(path: argument) else {
            throw RetentionError(
                .archiveInvalid, "\(argument) is neither a day (YYYY-MM-DD) nor an archive file (YYYY-MM-DD.copy.zst)"
            )
        }
        guard let entry = latest.first(where: { $0.table == name.table && $0.day == name.day.description }) else {
            throw RetentionError(
                .archiveInvalid, "\(directory.manifestPath) has no line for \(name), so \(argument) cannot be checked"
            )
        }
        return (entry, argument)
    }

    /// Checks `file` against `entry` without changing anything.
    /// - Throws: ``RetentionError`` (`.archiveInvalid`) saying what differs.
    public func verify(
        _ entry: ManifestEntry, file: String, progress: (Int) -> Void = { _ in }
    ) throws -> ArchiveDirectory.Check {
        guard let size = ArchiveFile.size(file) else {
            throw RetentionError(.archiveInvalid, "\(file) does not exist; nothing was restored")
        }
        guard size == entry.bytes else {
            throw RetentionError(
                .archiveInvalid,
                "\(file) is \(size) bytes, its manifest line says \(entry.bytes) (truncated or replaced); "
                    + "nothing was restored"
            )
        }
        let check = try directory.check(file, progress: progress)
        guard check.sha256 == entry.sha256 else {
            throw RetentionError(
                .archiveInvalid,
                "\(file) has sha256 \(check.sha256), its manifest line says \(entry.sha256); nothing was restored"
            )
        }
        guard check.rows == entry.rows else {
            throw RetentionError(
                .archiveInvalid,
                "\(file) holds \(check.rows) rows, its manifest line says \(entry.rows); nothing was restored"
            )
        }
        return check
    }

    /// Restores `argument` (a day or an archive file).
    ///
    /// - Parameter progress: called with (phase, compressed bytes read, total compressed bytes) as the file is
    ///   checked (`"checking"`) and loaded (`"loading"`).
    /// - Throws: ``RetentionError`` for an archive that does not verify or a day already present (nothing
    ///   changed); `PostgresError` from the database (the transaction is rolled back).
    public func restore(
        _ argument: String, on connection: PostgresConnection,
        progress: (_ phase: String, _ read: Int, _ total: Int) -> Void = { _, _, _ in }
    ) throws -> Report {
        let (entry, file) = try locate(argument)
        guard let day = CalendarDay(entry.day) else {
            throw RetentionError(.archiveInvalid, "manifest day \(entry.day) is not a date")
        }
        let check = try verify(entry, file: file) { progress("checking", $0, entry.bytes) }
        let name = ArchiveName(day: day)
        let table = "analytics.\(name.partitionName)"
        let present = try connection.query("SELECT to_regclass($1) IS NOT NULL", [table]).bool(0, 0) ?? false
        guard !present else {
            throw RetentionError(
                .alreadyPresent, "\(table) exists already; drop it first to restore \(day) from its archive"
            )
        }
        let (from, to) = ("'\(day) 00:00:00+00'", "'\(day.adding(days: 1)) 00:00:00+00'")
        let bounds = "\(name.partitionName)_bounds"
        let columns = EventRow.columns.map { "\"\($0)\"" }.joined(separator: ", ")
        var erased = 0
        var marks: [HourMark] = []
        try locks.transaction("attach \(table)", on: connection) { connection in
            // The COPY and the DELETE touch only the new table; the parent is locked by the ATTACH alone, last.
            try connection.execute("SET LOCAL lock_timeout = 0")
            try connection.execute(
                "CREATE TABLE \(table) (LIKE analytics.events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            try connection.execute(
                """
                ALTER TABLE \(table) ADD CONSTRAINT \(bounds)
                    CHECK ("timestamp" >= \(from) AND "timestamp" < \(to))
                """
            )
            let loaded = try connection.copyFromStream(
                "COPY \(table) (\(columns)) FROM STDIN (FORMAT binary)",
                { send in
                    _ = try directory.check(file, progress: { progress("loading", $0, entry.bytes) }) { try send($0) }
                }
            )
            guard loaded == check.rows else {
                throw RetentionError(
                    .verificationFailed, "PostgreSQL took \(loaded) rows of \(file), which holds \(check.rows)"
                )
            }
            erased = try Self.applyErasures(to: table, on: connection)
            try connection.execute("SET LOCAL lock_timeout = '\(locks.lockTimeout.timeoutMilliseconds)ms'")
            try connection.execute(
                "ALTER TABLE analytics.events ATTACH PARTITION \(table) FOR VALUES FROM (\(from)) TO (\(to))"
            )
            try connection.execute("ALTER TABLE \(table) DROP CONSTRAINT \(bounds)")
            marks = try MarkTable.events.insert(
                selecting: "SELECT DISTINCT project_id, date_trunc('hour', \"timestamp\", 'UTC') FROM \(table)", [],
                on: connection
            )
            marks += try MarkTable.events.insert(
                selecting: Self.orphanedHours, ["\(day.adding(days: 1)) 00:00:00+00"], on: connection
            )
        }
        var report = Report(
            day: day, archivedRows: check.rows, erasedRows: erased, bytes: check.bytes, copyBytes: check.copyBytes
        )
        (report.visitsDerived, report.bucketsRecomputed) = try Self.aggregate(marks, on: connection)
        return report
    }

    /// The hours of the day after the restored one (from `$1`, its start) holding counted
    /// events that no visit covers: the continuation of a visit that began on the restored day and went on past
    /// midnight. Retention purged that visit with its first day, so the sessions job's steps of the restored
    /// hours would not see those events; marking their hours lets the steps derive the visit whole.
    static let orphanedHours = """
        SELECT DISTINCT e.project_id, date_trunc('hour', e."timestamp", 'UTC') FROM analytics.events e
        WHERE e."timestamp" >= $1::timestamptz AND e."timestamp" < $1::timestamptz + interval '1 day'
          AND e.type IN ('track', 'page', 'screen') AND NOT e.is_bot
          AND NOT EXISTS (
              SELECT 1 FROM analytics.sessions s
              WHERE s.project_id = e.project_id AND s.person_id = coalesce(e.user_id, e.anonymous_id)
                AND s.session_start <= e."timestamp" AND s.session_end >= e."timestamp")
        """

    /// Derives the visits around the hours of `marks` (event marks) again, then recomputes the rollup
    /// buckets that changed.
    /// - Returns: the visits derived and the hourly buckets recomputed.
    /// - Throws: ``RetentionError`` (`.rollupsPending`): the marks that are left, the jobs answer next.
    static func aggregate(_ marks: [HourMark], on connection: PostgresConnection) throws -> (Int, Int) {
        guard !marks.isEmpty else { return (0, 0) }
        let projects = Set(marks.map(\.projectID))
        do {
            let before = try MarkTable.rollups.lastID(on: connection)
            let visits = try SessionsJob().derive(marks, on: connection)
            let changed = try MarkTable.rollups.newer(than: before, on: connection)
                .filter { projects.contains($0.projectID) }
            return (visits, try RollupsJob.recompute(changed, on: connection))
        } catch {
            throw RetentionError(
                .rollupsPending,
                "the day was restored, but deriving its visits and rollups again failed (\(error)); "
                    + "sluice jobs run sessions, then sluice jobs run rollups, finish it"
            )
        }
    }

    /// Deletes from `table` the rows of every erased id.
    /// - Returns: the rows deleted.
    static func applyErasures(to table: String, on connection: PostgresConnection) throws -> Int {
        guard try connection.query("SELECT EXISTS (SELECT 1 FROM sluice.erasures)").bool(0, 0) == true else { return 0 }
        return try connection.execute(
            """
            DELETE FROM \(table) e
            WHERE EXISTS (
                SELECT 1 FROM sluice.erasures x
                WHERE x.project_id = e.project_id
                  AND x.id_hash IN (sluice.erasure_hash(e.project_id, e.user_id),
                                    sluice.erasure_hash(e.project_id, e.anonymous_id),
                                    sluice.erasure_hash(e.project_id, e.previous_id))
            )
            """
        ).affectedRows
    }
}
