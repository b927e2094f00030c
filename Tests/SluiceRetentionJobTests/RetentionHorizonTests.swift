import SluiceCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceRollupsJob
import Testing

/// What the retention job deletes beside partitions: visits at the events' horizon, rollup rows at their own.
@Suite struct RetentionHorizonTests {
    @Test func purgesVisitsAtTheEventsHorizonAndRollupsAtTheirOwn() throws {
        let fixture = try RetentionFixture("horizons", rows: 10)
        defer { fixture.remove() }
        let connection = fixture.connection
        // Today 2026-12-01; 3 days of events kept (from 2026-11-28), 10 days of rollups (from 2026-11-21).
        for (person, start) in [("old", "2026-11-27 23:50+00"), ("kept", "2026-11-28 00:00+00"), ("new", "2026-11-30 10:00+00")] {
            try connection.query(
                """
                INSERT INTO analytics.sessions (project_id, person_id, session_start, session_end, duration_us,
                                                pageviews, events, is_bounce)
                VALUES (1, $1, $2::timestamptz, $2::timestamptz + interval '20 minutes', 1200000000, 1, 2, false)
                """,
                [person, start]
            )
        }
        let zeros = "hll_empty(14, 5), 1, 1, 1, 0, 0, 1"
        for hour in ["2026-11-20 23:00+00", "2026-11-21 00:00+00"] {
            try connection.execute(
                "INSERT INTO analytics.rollup_hourly VALUES (1, '\(hour)', \(zeros))")
            try connection.execute(
                "INSERT INTO analytics.rollup_hourly_dims VALUES (1, 'page', '\(hour)', '/', \(zeros))")
        }
        for day in ["2026-11-20", "2026-11-21"] {
            try connection.execute("INSERT INTO analytics.rollup_daily VALUES (1, '\(day)', \(zeros))")
            try connection.execute("INSERT INTO analytics.rollup_daily_dims VALUES (1, 'page', '\(day)', '/', \(zeros))")
        }
        let days = [CalendarDay("2026-11-20")!, CalendarDay("2026-11-21")!]
        #expect(try RollupsJob.rewriteSpans(holding: days, projects: [1], on: connection) == 5)
        var archiver = fixture.archiver(days: 3)
        archiver.policy = RetentionPolicy(days: 3, rollupDays: 10)
        let report = try archiver.run(connection, today: fixture.today)

        #expect(report.sessionsPurged == 1, "the visit started before 2026-11-28, even though it ends after")
        let visits = try connection.query("SELECT person_id FROM analytics.sessions ORDER BY 1").rows
        #expect(visits == [["kept"], ["new"]])
        #expect(report.rollupRowsPurged == 5, "one row of each rollup table before 2026-11-21, and the block 11-19+2")
        for table in ["rollup_hourly", "rollup_hourly_dims", "rollup_daily", "rollup_daily_dims"] {
            #expect(try connection.query("SELECT count(*) FROM analytics.\(table)").int(0, 0) == 1, "\(table)")
        }
        // The blocks of 4 to 16 days from 2026-11-19, 11-19 and 11-11 straddle the horizon: they held
        // both days and now hold the kept one; 11-21+2 starts on it.
        let blocks = try connection.query(
            "SELECT span_days, first_day::text, pageviews FROM analytics.rollup_span_dims ORDER BY 1"
        ).rows
        #expect(
            blocks == [
                ["2", "2026-11-21", "1"], ["4", "2026-11-19", "1"], ["8", "2026-11-19", "1"],
                ["16", "2026-11-11", "1"],
            ])
        let second = try archiver.run(connection, today: fixture.today)
        #expect(second.sessionsPurged == 0 && second.rollupRowsPurged == 0, "a second run is a no-op")
    }

    @Test func theRollupHorizonIs762DaysByDefaultAndNeverShorterThanTheEvents() throws {
        #expect(try RetentionJob(environment: [:]).archiver.policy.rollupDays == 762)
        let set = try RetentionJob(environment: ["SLUICE_ROLLUP_RETENTION_DAYS": "400"])
        #expect(set.archiver.policy.rollupDays == 400 && set.archiver.policy.days == 90)
        #expect(throws: RetentionError.self) {
            try RetentionJob(environment: ["SLUICE_RETENTION_DAYS": "120", "SLUICE_ROLLUP_RETENTION_DAYS": "100"])
        }
        #expect(throws: RetentionError.self) { try RetentionJob(environment: ["SLUICE_ROLLUP_RETENTION_DAYS": "2y"]) }
    }
}
