import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

@Suite struct PartitionMarksTests {
    let today = CalendarDay(year: 2026, month: 11, day: 23)!

    @Test func rowsMovedOutOfTheDefaultPartitionMarkTheirHoursInTheMovesTransaction() throws {
        let connection = try TestDatabase.migrated("movemarks")
        // Today's partition only; rows for the two days after it wait in the default partition.
        try PartitionMaintainer(backfillDays: 0, premakeDays: 0).run(connection, today: today)
        let rows: [(Int64, String)] = [
            (1, "2026-11-24 10:15:00+00"), (1, "2026-11-24 10:45:00+00"), (2, "2026-11-24 10:20:00+00"),
            (1, "2026-11-25 23:59:59+00"), (1, "2026-11-23 08:00:00+00"),
        ]
        for (index, (project, time)) in rows.enumerated() {
            try connection.query(
                """
                INSERT INTO analytics.events (project_id, message_id, type, "timestamp", received_at)
                VALUES ($1, $2, 'track', $3::timestamptz, now())
                """,
                [String(project), "m-\(index)", time]
            )
        }
        #expect(try MarkTable.events.count(on: connection) == 0)

        // A move whose transaction fails (its fence throws) marks nothing…
        struct Refused: Error {}
        #expect(throws: Refused.self) {
            try PartitionMaintainer(backfillDays: 0, premakeDays: 2).run(connection, today: today) { _ in
                throw Refused()
            }
        }
        #expect(try MarkTable.events.count(on: connection) == 0)

        // …one that commits marks each moved (project, hour) once; today's row did not move.
        let report = try PartitionMaintainer(backfillDays: 0, premakeDays: 2).run(connection, today: today)
        #expect(report.movedRows == 4)
        let marks = try MarkTable.events.oldest(100, on: connection)
        let hours = Set(marks.map { "\($0.projectID) \($0.hour)" })
        #expect(marks.count == 3)
        #expect(hours == ["1 2026-11-24T10:00:00Z", "2 2026-11-24T10:00:00Z", "1 2026-11-25T23:00:00Z"])
    }
}
