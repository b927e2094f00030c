import EmbeddedPostgres
import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice jobs run retention` killed (`SIGKILL`) right after each of its steps, then run again: every due
/// day is, at every moment, either still in the database with all its rows or in a verified archive; the
/// next run completes the work, and what was archived restores to the exact rows.
@Suite struct RetentionCrashTests {
    /// Runs `sluice ARGUMENTS` to its end, waiting off the cooperative pool; a run that has not ended within
    /// ``HangGuard/limit`` is killed and reported as hung.
    static func sluice(_ arguments: [String], _ environment: [String: String]) async throws -> (Int32, String) {
        let child = try SluiceBinary.start(arguments, environment: environment)
        return (try await child.finished(), child.log)
    }

    /// Whether `day` is whole somewhere: its table holds `rows` rows, or its archive verifies with `rows` rows.
    static func isWhole(
        _ day: CalendarDay, rows: Int, _ connection: PostgresConnection, _ archive: ArchiveDirectory
    ) throws -> Bool {
        let table = "analytics.events_p\(day.compact)"
        if try connection.query("SELECT to_regclass($1) IS NOT NULL", [table]).bool(0, 0) == true {
            return try connection.query("SELECT count(*) FROM \(table)").int(0, 0) == rows
        }
        let entries = ManifestEntry.latest(try archive.manifest())
        guard let entry = entries.first(where: { $0.day == day.description }), entry.rows == rows else { return false }
        let check = try archive.check(archive.filePath(ArchiveName(day: day)))
        return check.rows == rows && check.sha256 == entry.sha256 && check.bytes == entry.bytes
    }

    @Test(arguments: RetentionFault.allCases)
    func aKillAfterAnyStepLosesNothingAndTheNextRunCompletes(_ fault: RetentionFault) async throws {
        let url = try TestDatabase.fresh("crash-\(fault.rawValue)")
        let connection = try PostgresConnection(url)
        try Migrator.bundled().migrate(connection)
        let today = CalendarDay.today()
        try PartitionMaintainer(backfillDays: 5, premakeDays: 0).run(connection, today: today)
        // 40 rows on each of today-5 … today; retention of 3 days makes today-5 and today-4 due.
        try connection.execute(
            """
            INSERT INTO analytics.events (project_id, message_id, type, event, user_id, "timestamp", received_at,
                                          properties)
            SELECT 1, 'm' || d || '-' || g, 'track', 'Clicked', 'u' || (g % 7),
                   date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - d * interval '1 day'
                       + g * interval '1 minute',
                   now(), jsonb_build_object('n', g)
            FROM generate_series(0, 5) d, generate_series(1, 40) g
            """
        )
        let due = [today.adding(days: -5), today.adding(days: -4)]
        var sums: [CalendarDay: String] = [:]
        for day in due {
            sums[day] = try connection.query(
                "SELECT md5(string_agg(e::text, E'\\n' ORDER BY message_id)) FROM analytics.events_p\(day.compact) e"
            ).string(0, 0)
        }
        let root = NSTemporaryDirectory() + "sluice-crash-\(fault.rawValue)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let archive = ArchiveDirectory(path: root)
        var environment = ["SLUICE_ARCHIVE_DIR": root, "SLUICE_RETENTION_DAYS": "3", "SLUICE_BACKFILL_DAYS": "5"]
        // The killed run keeps its lease until it lapses; the next run waits for that.
        environment["SLUICE_JOB_LEASE_TIMEOUT_RETENTION"] = "1s"  // allow-timing: how soon a dead run's lease lapses

        let (killed, log) = try await Self.sluice(
            ["jobs", "run", "retention", "--database-url", url],
            environment.merging([RetentionFault.variable: fault.rawValue]) { $1 }
        )
        #expect(killed == 128 + SIGKILL, "the run was to be killed after \(fault.rawValue): \(log)")
        for day in due {
            #expect(try Self.isWhole(day, rows: 40, connection, archive), "\(day) after a kill at \(fault.rawValue)")
        }

        let (status, output) = try await Self.sluice(
            ["jobs", "run", "retention", "--wait", "5m", "--database-url", url],  // allow-timing: a hang guard's bound
            environment
        )
        #expect(output.contains("retention: dropped 2 partition(s)") || fault == .dropped, "\(output)")
        #expect(status == 0, "\(output)")
        let left = try connection.query(
            "SELECT count(*) FROM pg_class WHERE relname IN ('events_p\(due[0].compact)', 'events_p\(due[1].compact)')"
        )
        #expect(try left.int(0, 0) == 0, "both due days dropped after the second run")
        for day in due {
            #expect(try Self.isWhole(day, rows: 40, connection, archive))
            _ = try ArchiveRestorer(directory: archive).restore(day.description, on: connection)
            let sum = try connection.query(
                "SELECT md5(string_agg(e::text, E'\\n' ORDER BY message_id)) FROM analytics.events_p\(day.compact) e"
            ).string(0, 0)
            #expect(sum == sums[day], "\(day) restores to the rows it had")
        }
        #expect(try connection.query("SELECT count(*) FROM analytics.events").int(0, 0) == 240)
    }
}
