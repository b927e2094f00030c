import Foundation
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// `sluice jobs run sessions|rollups|all` as cron runs them (`all` runs the experiments' `assignments` last).
extension SluiceCommandTests {
    @Test func jobsRunAllDerivesVisitsThenRollsThemUpInDependencyOrder() async throws {
        let url = try TestDatabase.fresh("aggcli")
        #expect(try await sluice(["migrate", "--database-url", url]).status == 0)
        let connection = try PostgresConnection(url)
        // Two pageviews of one person five minutes apart yesterday at 10:00, marked as the loader marks them.
        try connection.execute(
            """
            INSERT INTO analytics.events (project_id, message_id, type, event, anonymous_id, "timestamp", received_at,
                                          page_path)
            SELECT 1, 'm' || n, 'page', 'Home', 'a-1', date_trunc('day', now()) - interval '14 hours'
                   + n * interval '5 minutes', now(), '/p' || n
            FROM generate_series(0, 1) AS n;
            INSERT INTO sluice.event_marks (project_id, hour)
            VALUES (1, date_trunc('day', now()) - interval '14 hours');
            """
        )
        let environment = ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"]
        let run = try await sluice(["jobs", "run", "all", "--database-url", url], environment: environment)
        #expect(run.status == 0, "\(run.output)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(
            lines.map { $0.prefix { $0 != ":" } } == ["partitions", "sessions", "rollups", "assignments", "retention"],
            "\(run.output)"
        )
        #expect(lines[1].contains("1 visit(s) derived"), "\(run.output)")
        #expect(lines[2].contains("1 hour(s) in 1 project-day(s) and 4 block(s) of days recomputed"), "\(run.output)")
        let day = try connection.query(
            "SELECT visits, pageviews, bounces, hll_cardinality(visitors)::int FROM analytics.rollup_daily"
        )
        #expect(day.rows == [["1", "2", "0", "1"]])

        // Nothing new: each job says so.
        let again = try await sluice(["jobs", "run", "sessions", "--database-url", url])
        #expect(again.status == 0 && again.output.contains("sessions: no event marks"), "\(again.output)")
        let rollups = try await sluice(["jobs", "run", "rollups", "--database-url", url])
        #expect(rollups.status == 0 && rollups.output.contains("rollups: no rollup marks"), "\(rollups.output)")
    }
}

extension SluiceCommandTests {
    @Test func benchJobsRejectsBadSizesWithExit64() async throws {
        for arguments in [["--events", "0"], ["--days", "0"], ["--days", "91"], ["--late", "-1"]] {
            let run = try await sluice(["bench", "jobs"] + arguments)
            #expect(run.status == 64, "\(arguments): \(run.output)")
        }
    }
}
