import Foundation
import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceTestSupport
import Testing

@Suite struct PartitionArchiverTests {
    @Test func archivesVerifiesAndDropsOnlyThePartitionsPastTheHorizon() throws {
        let fixture = try RetentionFixture("archive")
        defer { fixture.remove() }
        let today = fixture.today
        let due = (4...6).map { today.adding(days: -$0) }.sorted()
        let kept = (0...3).map { today.adding(days: -$0) }
        let dueCounts = try due.map { try fixture.count($0) }
        let keptSums = try kept.map { try fixture.checksum($0) }
        #expect(dueCounts.allSatisfy { $0 > 0 })

        let report = try fixture.archiver().run(fixture.connection, today: today)
        #expect(report.dropped == due)
        #expect(report.rows == dueCounts.reduce(0, +))
        #expect(try fixture.tables() == kept.sorted().map { "events_p\($0.compact)" })
        #expect(try kept.map { try fixture.checksum($0) } == keptSums, "newer partitions untouched")

        let manifest = try fixture.archive.manifest()
        #expect(manifest.map(\.day) == due.map(\.description))
        #expect(manifest.map(\.rows) == dueCounts)
        for entry in manifest {
            let file = fixture.archive.filePath(entry.name!)
            let check = try fixture.archive.check(file)
            #expect(check.rows == entry.rows && check.bytes == entry.bytes && check.sha256 == entry.sha256)
            #expect(FileManager.default.fileExists(atPath: file))
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.archive.path + "/analytics.events")
        #expect(leftovers.sorted() == due.map { "\($0).copy.zst" }, "no temporary or probe file left")

        let again = try fixture.archiver().run(fixture.connection, today: today)
        #expect(again.dropped.isEmpty && again.rows == 0, "a second run is a no-op")
        #expect(try fixture.archive.manifest() == manifest)
    }

    /// The horizon check reads the constraint's bound back; in a session whose TimeZone is west of UTC the
    /// bound shows as the evening before, and a run that misread it would replace the constraint every time
    /// (an ACCESS EXCLUSIVE lock on the default partition for nothing).
    @Test func aSecondRunKeepsTheHorizonConstraintWhateverTheSessionTimeZone() throws {
        let fixture = try RetentionFixture("horizon-zone", rows: 300)
        defer { fixture.remove() }
        try fixture.connection.execute("SET TimeZone = 'America/Los_Angeles'")
        func constraint() throws -> String? {
            try fixture.connection.query(
                """
                SELECT oid::text FROM pg_constraint
                WHERE conrelid = 'analytics.events_default'::regclass AND conname = $1
                """,
                [PartitionArchiver.horizonConstraint]
            ).string(0, 0)
        }
        _ = try fixture.archiver().run(fixture.connection, today: fixture.today)
        let first = try #require(try constraint())
        // A day past the horizon again (as a run cut short leaves one), so the next run checks the horizon.
        let due = fixture.today.adding(days: -5)
        try fixture.connection.execute(
            """
            CREATE TABLE analytics.events_p\(due.compact) PARTITION OF analytics.events
                FOR VALUES FROM ('\(due) 00:00:00+00') TO ('\(due.adding(days: 1)) 00:00:00+00')
            """
        )
        let again = try fixture.archiver().run(fixture.connection, today: fixture.today)
        #expect(again.dropped == [due])
        #expect(try constraint() == first, "the second run replaced a constraint that was already right")
    }

    @Test func aLateRowForADroppedDayIsRefusedNotParkedInTheDefaultPartition() throws {
        let fixture = try RetentionFixture("late", rows: 300)
        defer { fixture.remove() }
        _ = try fixture.archiver().run(fixture.connection, today: fixture.today)
        let dropped = fixture.today.adding(days: -5)
        do {
            try fixture.connection.query(
                """
                INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
                VALUES (1, 'late', 'track', $1::timestamptz, now())
                """,
                ["\(dropped) 12:00:00+00"]
            )
            Issue.record("a row for a dropped day was stored")
        } catch {
            #expect(error.sqlState == "23514")
            #expect(error.message.contains(PartitionArchiver.horizonConstraint))
        }
        let kept = fixture.today.adding(days: -3)
        #expect(
            try fixture.connection.query(
                """
                INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
                VALUES (1, 'in time', 'track', $1::timestamptz, now())
                """,
                ["\(kept) 12:00:00+00"]
            ).affectedRows == 1)
    }

    @Test func refusesWithoutAnArchiveDirectoryAndDropsWhenArchivingIsOff() throws {
        let fixture = try RetentionFixture("no-archive", rows: 300)
        defer { fixture.remove() }
        let before = try fixture.tables()
        var archiver = fixture.archiver()
        archiver.directory = nil
        do {
            _ = try archiver.run(fixture.connection, today: fixture.today)
            Issue.record("dropped without an archive directory")
        } catch let error as RetentionError {
            #expect(error.code == .archiveNotConfigured)
            #expect(error.message.contains("SLUICE_ARCHIVE_DIR") && error.message.contains("--no-archive"))
        }
        #expect(try fixture.tables() == before)
        archiver.archiving = .off
        let report = try archiver.run(fixture.connection, today: fixture.today)
        #expect(report.dropped.count == 3 && report.archivedBytes == 0)
        #expect(try fixture.tables().count == before.count - 3)
    }

    @Test func anUnwritableArchiveDirectoryFailsAndDropsNothing() throws {
        let fixture = try RetentionFixture("unwritable", rows: 300)
        defer { fixture.remove() }
        try FileManager.default.createDirectory(atPath: fixture.root, withIntermediateDirectories: true)
        let blocker = fixture.root + "/file"
        try Data("not a directory".utf8).write(to: URL(fileURLWithPath: blocker))
        let before = try fixture.tables()
        var archiver = fixture.archiver()
        archiver.directory = ArchiveDirectory(path: blocker + "/archive")
        do {
            _ = try archiver.run(fixture.connection, today: fixture.today)
            Issue.record("archived into a path under a file")
        } catch let error as RetentionError {
            #expect(error.code == .archiveUnwritable)
            #expect(error.message.contains(blocker))
        }
        #expect(try fixture.tables() == before)
    }

    @Test func purgesOldJobRunsAndDeadLetters() throws {
        let fixture = try RetentionFixture("purge", rows: 10)
        defer { fixture.remove() }
        try fixture.connection.execute(
            """
            INSERT INTO sluice.dead_letters (node_id, error, row_data, spool_segment, spool_offset, created_at)
            VALUES ('n', 'e', '\\x00', 0, 0, '2026-11-27 12:00+00'), ('n', 'e', '\\x00', 0, 0, '2026-11-28 12:00+00')
            """
        )
        try fixture.connection.execute(
            """
            INSERT INTO sluice.job_runs (job, node, status, started_at, finished_at) VALUES
                ('partitions', 'n', 'succeeded', '2026-10-31 12:00+00', '2026-10-31 12:01+00'),
                ('partitions', 'n', 'succeeded', '2026-11-01 12:00+00', '2026-11-01 12:01+00'),
                ('partitions', 'n', 'running', '2026-10-01 12:00+00', NULL)
            """
        )
        let report = try fixture.archiver().run(fixture.connection, today: fixture.today)
        #expect(report.jobRunsPurged == 1, "the finished run before 2026-11-01, today - 30 days")
        #expect(try fixture.connection.query("SELECT count(*) FROM sluice.job_runs").int(0, 0) == 2)
        #expect(report.deadLettersPurged == 1, "the one before 2026-11-28, the first kept day")
        #expect(try fixture.connection.query("SELECT count(*) FROM sluice.dead_letters").int(0, 0) == 1)
    }
}
