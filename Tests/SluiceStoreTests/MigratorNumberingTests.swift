import SluicePostgres
import SluiceSQL
import SluiceStore
import SluiceTestSupport
import Testing

/// Migration numbers need not be contiguous: files numbered on different branches land with gaps between them.
@Suite struct MigratorNumberingTests {
    let first = MigrationFile(
        version: 1, name: "0001_first.sql",
        sql: "CREATE SCHEMA IF NOT EXISTS sluice; CREATE TABLE sluice.first (x int);")
    let second = MigrationFile(version: 2, name: "0002_second.sql", sql: "CREATE TABLE sluice.second (x int);")
    let sixth = MigrationFile(version: 6, name: "0006_sixth.sql", sql: "CREATE TABLE sluice.sixth (x int);")

    @Test func aGapInTheNumbersIsAppliedInOrder() throws {
        let connection = try TestDatabase.connect("gap")
        let report = try Migrator(files: [first, sixth]).migrate(connection)
        #expect(report.applied == ["0001_first.sql", "0006_sixth.sql"])
        #expect(report.version == 6)
        #expect(try Migrator(files: [first, sixth]).migrate(connection).applied.isEmpty)
    }

    /// A database migrated before a lower-numbered file existed gets that file on its next migrate, after
    /// the higher one: files must not depend on the order across such a gap.
    @Test func aFileNumberedIntoTheGapLaterIsAppliedThen() throws {
        let connection = try TestDatabase.connect("gaplater")
        try Migrator(files: [first, sixth]).migrate(connection)
        let report = try Migrator(files: [first, second, sixth]).migrate(connection)
        #expect(report.applied == ["0002_second.sql"])
        #expect(report.version == 6, "the database's highest version, not the last file applied")
        #expect(
            try connection.query("SELECT string_agg(version::text, ',' ORDER BY version) FROM sluice.migrations")
                .string(0, 0) == "1,2,6")
    }
}
