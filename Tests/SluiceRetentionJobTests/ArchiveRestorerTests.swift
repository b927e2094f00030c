import Foundation
import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceTestSupport
import Testing

@Suite struct ArchiveRestorerTests {
    @Test func aRestoreGivesBackTheExactRowsAndAppliesErasuresAgain() throws {
        let fixture = try RetentionFixture("restore")
        defer { fixture.remove() }
        let day = fixture.today.adding(days: -5)
        let before = try fixture.checksum(day)
        let rowsBefore = try fixture.count(day)
        let person = try #require(
            try fixture.connection.query(
                """
                SELECT user_id FROM analytics.events_p\(day.compact) WHERE user_id IS NOT NULL
                GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
                """
            ).string(0, 0)
        )
        let withoutPerson = try fixture.checksum(day, excluding: person)
        #expect(withoutPerson != before)
        _ = try fixture.archiver().run(fixture.connection, today: fixture.today)
        #expect(try fixture.count(day) == 0)

        let restorer = ArchiveRestorer(directory: fixture.archive)
        var phases: Set<String> = []
        let report = try restorer.restore(day.description, on: fixture.connection) { phase, _, _ in
            phases.insert(phase)
        }
        #expect(report.archivedRows == rowsBefore && report.erasedRows == 0)
        #expect(try fixture.checksum(day) == before, "the ordered rows are the ones archived")
        #expect(phases == ["checking", "loading"])
        let bound = try fixture.connection.query(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = 'events_p\(day.compact)'"
        )
        #expect(
            bound.string(0, 0) == "FOR VALUES FROM ('\(day) 00:00:00+00') TO ('\(day.adding(days: 1)) 00:00:00+00')")

        // The restored day goes again with the next run; an erasure recorded now is applied by the next restore.
        let rerun = try fixture.archiver().run(fixture.connection, today: fixture.today)
        #expect(rerun.dropped == [day])
        try fixture.connection.query(
            "INSERT INTO sluice.erasures (project_id, id_hash) VALUES (1, sluice.erasure_hash(1, $1))", [person]
        )
        let second = try restorer.restore(fixture.archive.filePath(ArchiveName(day: day)), on: fixture.connection)
        #expect(second.erasedRows > 0)
        #expect(second.rows == rowsBefore - second.erasedRows)
        #expect(try fixture.checksum(day) == withoutPerson)
    }

    @Test func refusesADayThatIsStillThere() throws {
        let fixture = try RetentionFixture("present", rows: 200)
        defer { fixture.remove() }
        _ = try fixture.archiver().run(fixture.connection, today: fixture.today)
        let day = fixture.today.adding(days: -5)
        let restorer = ArchiveRestorer(directory: fixture.archive)
        _ = try restorer.restore(day.description, on: fixture.connection)
        do {
            _ = try restorer.restore(day.description, on: fixture.connection)
            Issue.record("restored a day twice")
        } catch let error as RetentionError {
            #expect(error.code == .alreadyPresent)
        }
    }

    /// Truncated, corrupt, replaced or unlisted archives: refused with a clear message, nothing changed.
    @Test func refusesDamagedArchivesAndChangesNothing() throws {
        let fixture = try RetentionFixture("corrupt", rows: 600)
        defer { fixture.remove() }
        _ = try fixture.archiver().run(fixture.connection, today: fixture.today)
        let day = fixture.today.adding(days: -5)
        let file = fixture.archive.filePath(ArchiveName(day: day))
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let manifest = try String(contentsOfFile: fixture.archive.manifestPath, encoding: .utf8)
        let entry = try #require(
            ManifestEntry.latest(try fixture.archive.manifest()).first { $0.day == day.description })
        let restorer = ArchiveRestorer(directory: fixture.archive)
        let tables = try fixture.tables()

        func refused(_ damage: String, _ expected: String) throws {
            do {
                _ = try restorer.restore(day.description, on: fixture.connection)
                Issue.record("restored an archive that is \(damage)")
            } catch let error as RetentionError {
                #expect(error.code == .archiveInvalid, "\(damage)")
                #expect(error.message.contains(expected), "\(damage): \(error.message)")
                #expect(error.message.contains("nothing was restored") || error.message.contains("cannot be used"))
            }
            #expect(try fixture.tables() == tables, "\(damage): nothing changed")
        }

        try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: file))
        try refused("truncated", "bytes, its manifest line says")

        var flipped = original
        flipped[flipped.count / 2] ^= 0x5A
        try flipped.write(to: URL(fileURLWithPath: file))
        try refused("corrupt", file)

        try original.write(to: URL(fileURLWithPath: file))
        let wrongHash = String(repeating: "0", count: 64)
        try manifest.replacingOccurrences(of: entry.sha256, with: wrongHash)
            .write(toFile: fixture.archive.manifestPath, atomically: true, encoding: .utf8)
        try refused("of another checksum", "sha256")

        try manifest.write(toFile: fixture.archive.manifestPath, atomically: true, encoding: .utf8)
        try FileManager.default.removeItem(atPath: file)
        try refused("missing", "does not exist")

        let unlisted = fixture.root + "/elsewhere/analytics.events/2020-01-01.copy.zst"
        try FileManager.default.createDirectory(
            atPath: (unlisted as NSString).deletingLastPathComponent, withIntermediateDirectories: true
        )
        try original.write(to: URL(fileURLWithPath: unlisted))
        do {
            _ = try restorer.restore(unlisted, on: fixture.connection)
            Issue.record("restored a file the manifest does not list")
        } catch let error as RetentionError {
            #expect(error.code == .archiveInvalid && error.message.contains("has no line for"))
        }
    }
}
