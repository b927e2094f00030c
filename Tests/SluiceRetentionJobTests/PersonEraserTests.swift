import SluiceCore
import SluicePostgres
import SluiceRetentionJob
import SluiceStore
import SluiceTestSupport
import Testing

@Suite struct PersonEraserTests {
    let today = CalendarDay(year: 2026, month: 12, day: 1)!

    func insert(
        _ connection: PostgresConnection, _ id: String, _ type: String, user: String?, anonymous: String?,
        previous: String? = nil, project: Int64 = 1, daysAgo: Int
    ) throws {
        try connection.query(
            """
            INSERT INTO analytics.events (project_id, message_id, type, event, user_id, anonymous_id, previous_id,
                                          "timestamp", received_at)
            VALUES ($1, $2, $3, CASE WHEN $3 = 'track' THEN 'Clicked' END, $4, $5, $6, $7::timestamptz, now())
            """,
            [String(project), id, type, user, anonymous, previous, "\(today.adding(days: -daysAgo)) 10:00:00+00"]
        )
    }

    @Test func erasesThePersonThroughEveryLinkedIDAndLeavesOthers() throws {
        let connection = try TestDatabase.migrated("forget")
        try PartitionMaintainer(backfillDays: 5, premakeDays: 0).run(connection, today: today)
        // anon-1 was identified as alice; alice was aliased from old-alice; old-alice had been anon-2.
        try insert(connection, "a1", "page", user: nil, anonymous: "anon-1", daysAgo: 5)
        try insert(connection, "a2", "identify", user: "alice", anonymous: "anon-1", daysAgo: 4)
        try insert(connection, "a3", "track", user: "alice", anonymous: nil, daysAgo: 3)
        try insert(connection, "a4", "alias", user: "alice", anonymous: nil, previous: "old-alice", daysAgo: 2)
        try insert(connection, "a5", "identify", user: "old-alice", anonymous: "anon-2", daysAgo: 1)
        try insert(connection, "a6", "track", user: nil, anonymous: "anon-2", daysAgo: 0)
        // Someone else, and the same id in another project: both stay.
        try insert(connection, "b1", "identify", user: "bob", anonymous: "anon-9", daysAgo: 3)
        try insert(connection, "b2", "track", user: "bob", anonymous: "anon-9", daysAgo: 1)
        try insert(connection, "c1", "track", user: "alice", anonymous: "anon-1", project: 2, daysAgo: 1)
        // A track carrying both bob's id and a stranger's anonymousId is not a link.
        try insert(connection, "b3", "track", user: "bob", anonymous: "anon-1", daysAgo: 0)

        let report = try PersonEraser().erase("anon-1", project: 1, on: connection)
        #expect(report.ids == ["anon-1", "alice", "anon-2", "old-alice"])
        #expect(report.removed["analytics.events"] == 7, "a1 … a6 and b3, which carries anon-1")
        #expect(report.eventsPerID.reduce(0, +) == 7)
        let left = try connection.query("SELECT message_id FROM analytics.events ORDER BY 1")
        #expect((0..<left.rowCount).compactMap { left.string($0, 0) } == ["b1", "b2", "c1"])

        let erasures = try connection.query(
            """
            SELECT count(*), sum(rows_removed),
                   count(*) FILTER (WHERE id_hash IN (
                       sluice.erasure_hash(1, 'anon-1'), sluice.erasure_hash(1, 'alice'),
                       sluice.erasure_hash(1, 'anon-2'), sluice.erasure_hash(1, 'old-alice')))
            FROM sluice.erasures WHERE project_id = 1
            """
        )
        #expect(try erasures.int(0, 0) == 4 && erasures.int(0, 1) == 7 && erasures.int(0, 2) == 4)
        let plain = try connection.query(
            "SELECT count(*) FROM sluice.erasures e WHERE e::text LIKE '%alice%' OR e::text LIKE '%anon-%'"
        )
        #expect(try plain.int(0, 0) == 0, "no id is kept in the clear")
        #expect(
            try connection.query("SELECT sluice.erasure_hash(1, 'alice') <> sluice.erasure_hash(2, 'alice')")
                .bool(0, 0) == true, "salted per project")
    }

    @Test func anUnknownIDErasesNothingButIsRecorded() throws {
        let connection = try TestDatabase.migrated("forget-none")
        let report = try PersonEraser().erase("nobody", project: 1, on: connection)
        #expect(report.ids == ["nobody"] && report.eventsPerID == [0])
        #expect(try connection.query("SELECT count(*) FROM sluice.erasures").int(0, 0) == 1)
    }
}
