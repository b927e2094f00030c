import Foundation
import SluiceCore
import SluicePostgres
import SluiceSQL
import SluiceStore
import SluiceTestSupport
import Testing

@Suite struct MigratorTests {
    @Test func migratingTwiceIsANoOp() throws {
        let connection = try TestDatabase.connect("twice")
        let migrator = try Migrator.bundled()
        #expect(migrator.files.count >= 2)
        let first = try migrator.migrate(connection)
        #expect(first.applied == migrator.files.map(\.name))
        #expect(first.version == migrator.files.last!.version)
        let second = try migrator.migrate(connection)
        #expect(second.applied.isEmpty)
        #expect(second.version == first.version)
        #expect(try connection.query("SELECT count(*) FROM sluice.migrations").int(0, 0) == migrator.files.count)
    }

    @Test func concurrentRunsApplyEachFileOnce() async throws {
        let conninfo = try TestDatabase.fresh("concurrent")
        let migrator = try Migrator.bundled()
        let reports = try await withThrowingTaskGroup(of: Migrator.Report.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let connection = try PostgresConnection(conninfo)
                    return try migrator.migrate(connection)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(reports.count == 4)
        #expect(reports.flatMap(\.applied).sorted() == migrator.files.map(\.name).sorted())
        #expect(reports.allSatisfy { $0.version == migrator.files.last!.version })
        let connection = try PostgresConnection(conninfo)
        #expect(try connection.query("SELECT count(*) FROM sluice.migrations").int(0, 0) == migrator.files.count)
    }

    @Test func aFailingMigrationLeavesNothingBehind() throws {
        let connection = try TestDatabase.connect("failing")
        let shipped = try Migrator.bundled().files
        let broken = MigrationFile(
            version: 9001, name: "9001_broken.sql",
            sql: "CREATE TABLE analytics.half_made (x int); INSERT INTO analytics.half_made VALUES (1 / 0);"
        )
        #expect {
            try Migrator(files: shipped + [broken]).migrate(connection)
        } throws: { error in
            let message = (error as? StoreError)?.message ?? ""
            return message.contains("9001_broken.sql") && message.contains("division by zero")
                && !message.contains("\n")
        }
        #expect(try connection.query("SELECT to_regclass('analytics.half_made') IS NULL").bool(0, 0) == true)
        #expect(try connection.query("SELECT max(version) FROM sluice.migrations").int(0, 0) == shipped.last!.version)

        let fixed = MigrationFile(version: 9001, name: "9001_fixed.sql", sql: "CREATE TABLE analytics.half_made (x int);")
        let report = try Migrator(files: shipped + [fixed]).migrate(connection)
        #expect(report.applied == ["9001_fixed.sql"])
    }

    @Test func anEditedMigrationIsRefused() throws {
        let connection = try TestDatabase.migrated("edited")
        var files = try Migrator.bundled().files
        files[0] = MigrationFile(version: files[0].version, name: files[0].name, sql: files[0].sql + "\n-- changed")
        #expect {
            try Migrator(files: files).migrate(connection)
        } throws: { error in
            (error as? StoreError)?.message.contains("was edited after it was applied") == true
        }
    }

    @Test func aDatabaseFromANewerSluiceIsRefused() throws {
        let connection = try TestDatabase.migrated("newer")
        try connection.execute("INSERT INTO sluice.migrations VALUES (9999, '9999_future.sql', 'x')")
        #expect {
            try Migrator.bundled().migrate(connection)
        } throws: { error in
            (error as? StoreError)?.message.contains("newer sluice") == true
        }
    }

    @Test func eventsTableHasTheColumnsOfEventRowInOrder() throws {
        let connection = try TestDatabase.migrated("columns")
        let result = try connection.query(
            """
            SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'analytics' AND table_name = 'events' ORDER BY ordinal_position
            """
        )
        #expect((0..<result.rowCount).map { result.string($0, 0) } == EventRow.columns)
        let partitioned = try connection.query(
            "SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'analytics.events'::regclass"
        )
        #expect(partitioned.string(0, 0) == "r")
        let schemas = try connection.query(
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('analytics', 'experiments', 'sluice')"
        )
        #expect(try schemas.int(0, 0) == 3)
    }
}
