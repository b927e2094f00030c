import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@Suite struct PartitionMaintainerTests {
    let today = CalendarDay(year: 2026, month: 11, day: 23)!

    private func partitions(_ connection: PostgresConnection) throws -> [String] {
        let result = try connection.query(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'analytics.events'::regclass AND c.relname <> 'events_default' ORDER BY 1
            """
        )
        return (0..<result.rowCount).compactMap { result.string($0, 0) }
    }

    private func insert(_ connection: PostgresConnection, id: String, at timestamp: String) throws {
        try connection.query(
            """
            INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
            VALUES (1, $1, 'track', $2::timestamptz, now())
            """,
            [id, timestamp]
        )
    }

    @Test func createsTheWholeWindow() throws {
        let connection = try TestDatabase.migrated("window")
        let report = try PartitionMaintainer(backfillDays: 3, premakeDays: 2).run(connection, today: today)
        let expected = ["events_p20261120", "events_p20261121", "events_p20261122", "events_p20261123",
            "events_p20261124", "events_p20261125"]
        #expect(report.created == expected)
        #expect(report.existing == 0)
        #expect(try partitions(connection) == expected)
        let bound = try connection.query(
            "SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE oid = 'analytics.events_p20261123'::regclass"
        )
        #expect(bound.string(0, 0) == "FOR VALUES FROM ('2026-11-23 00:00:00+00') TO ('2026-11-24 00:00:00+00')")
    }

    @Test func aSecondRunChangesNothing() throws {
        let connection = try TestDatabase.migrated("idempotent")
        let maintainer = PartitionMaintainer(backfillDays: 5, premakeDays: 5)
        try maintainer.run(connection, today: today)
        let before = try partitions(connection)
        let again = try maintainer.run(connection, today: today)
        #expect(again.created.isEmpty)
        #expect(again.existing == 11)
        #expect(try partitions(connection) == before)
        // A day later only the new last day is missing.
        let next = try maintainer.run(connection, today: today.adding(days: 1))
        #expect(next.created == ["events_p20261129"])
    }

    @Test func rowsWaitingInTheDefaultPartitionMoveToTheirNewDay() throws {
        let connection = try TestDatabase.migrated("move")
        try PartitionMaintainer(backfillDays: 0, premakeDays: 0).run(connection, today: today)
        try insert(connection, id: "a", at: "2026-11-24 00:00:00+00")
        try insert(connection, id: "b", at: "2026-11-24 12:30:00.123456+00")
        try insert(connection, id: "c", at: "2026-11-24 23:59:59.999999+00")
        try insert(connection, id: "d", at: "2026-11-23 08:00:00+00")
        try insert(connection, id: "old", at: "2019-01-01 00:00:00+00")
        #expect(try connection.query("SELECT count(*) FROM analytics.events_default").int(0, 0) == 4)

        let report = try PartitionMaintainer(backfillDays: 0, premakeDays: 1).run(connection, today: today)
        #expect(report.created == ["events_p20261124"])
        #expect(report.movedRows == 3)
        let moved = try connection.query("SELECT string_agg(message_id, ',' ORDER BY message_id) FROM analytics.events_p20261124")
        #expect(moved.string(0, 0) == "a,b,c")
        let left = try connection.query("SELECT string_agg(message_id, ',') FROM analytics.events_default")
        #expect(left.string(0, 0) == "old")
        #expect(try connection.query("SELECT count(*) FROM analytics.events").int(0, 0) == 5)
        // The moved rows kept their values to the microsecond.
        let exact = try connection.query(
            "SELECT \"timestamp\" = '2026-11-24 12:30:00.123456+00' FROM analytics.events WHERE message_id = 'b'"
        )
        #expect(exact.bool(0, 0) == true)
    }

    @Test func readsItsWindowFromTheEnvironment() throws {
        let defaults = try PartitionMaintainer.fromEnvironment([:])
        #expect(defaults.backfillDays == 90 && defaults.premakeDays == 7)
        let custom = try PartitionMaintainer.fromEnvironment(["SLUICE_BACKFILL_DAYS": "30", "SLUICE_PREMAKE_DAYS": "2"])
        #expect(custom.backfillDays == 30 && custom.premakeDays == 2)
        #expect(throws: StoreError.self) { try PartitionMaintainer.fromEnvironment(["SLUICE_PREMAKE_DAYS": "soon"]) }
        #expect(throws: StoreError.self) { try PartitionMaintainer.fromEnvironment(["SLUICE_BACKFILL_DAYS": "-1"]) }
    }
}
