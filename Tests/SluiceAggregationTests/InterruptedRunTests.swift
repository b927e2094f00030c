import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceRollupsJob
import SluiceScheduler
import SluiceSessionsJob
import SluiceStore
import Testing

/// A job run on a thread of its own, as the scheduler runs it, so the test can interfere while it works.
final class BackgroundRun: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written by the run's thread before `done` is signalled, read only after waiting for it.
    private var result: Result<JobRunner.Report, any Error>?

    init(_ body: @escaping @Sendable () throws -> JobRunner.Report) {
        Thread { [self] in
            result = Result { try body() }
            done.signal()
        }.start()
    }

    /// Waits for the run to end (under the hang guard) and returns its report.
    func report() throws -> JobRunner.Report {
        try HangGuard.bounded("the job run to end") { _ in
            done.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
        }
        return try result!.get()
    }
}

/// Runs cut short: a backend terminated in the middle of a run, a lease taken over while a step works.
/// Finished steps stay, the unfinished one leaves no trace, and the next run completes the work.
extension AggregationDatabaseTests {
    @Suite struct InterruptedRunTests {
        static let minute = Traffic.minute

        /// A visit of `kill-N` on day −(2N − 1) at 10:00–10:20 for N = 1…3: kill-3's day is the oldest.
        static func base() -> [EventRow] {
            (1...3).flatMap { n -> [EventRow] in
                let day = CalendarDay.today().adding(days: -(2 * n - 1)).start.unixMicroseconds
                return [
                    Traffic.event(.page, "kill-\(n)", at: day + 10 * 60 * minute, path: "/a", id: "kill-\(n)-a"),
                    Traffic.event(.page, "kill-\(n)", at: day + (10 * 60 + 20) * minute, path: "/b", id: "kill-\(n)-b"),
                ]
            }
        }

        /// A late page in the middle of each of those visits.
        static func late() -> [EventRow] {
            (1...3).map { n in
                let day = CalendarDay.today().adding(days: -(2 * n - 1)).start.unixMicroseconds
                return Traffic.event(
                    .page, "kill-\(n)", at: day + (10 * 60 + 10) * minute, path: "/late", id: "kill-\(n)-late")
            }
        }

        /// Loads and aggregates the base traffic, then loads the late events; returns every row loaded.
        func prepare(_ fixture: AggregationFixture) throws -> [EventRow] {
            let base = Traffic.generated(projectID: 1, count: 6_000, days: 6, users: 500, seed: 21) + Self.base()
            try fixture.load(base)
            try fixture.aggregate()
            try fixture.load(Self.late())
            return base + Self.late()
        }

        /// Holds a row lock (in an open transaction on a connection of its own) until `release()`.
        final class Blocker {
            let connection: PostgresConnection

            init(_ url: String, locking query: String) throws {
                connection = try PostgresConnection(url)
                try connection.execute("BEGIN")
                let locked = try connection.query(query + " FOR UPDATE")
                #expect(locked.rowCount >= 1, "the blocker locked nothing: \(query)")
            }

            func release() throws { try connection.execute("ROLLBACK") }
        }

        /// The backend of the job's run once it waits for a lock inside a statement matching `pattern`.
        func waitingBackend(_ fixture: AggregationFixture, _ pattern: String) throws -> Int {
            var pid: Int?
            try HangGuard.wait(for: "the job's statement to wait for the test's lock") {
                pid = try fixture.database.query(
                    """
                    SELECT pid FROM pg_stat_activity
                    WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1
                    """,
                    ["%" + pattern + "%"]
                ).int(0, 0)
                return pid != nil
            }
            return pid!
        }

        func sessionsOf(_ fixture: AggregationFixture, _ person: String) throws -> [[String?]] {
            try fixture.database.query(
                "SELECT session_start::text, events, updated_at::text FROM analytics.sessions WHERE person_id = $1",
                [person]
            ).rows
        }

        @Test func aSessionsRunWhoseBackendIsTerminatedKeepsItsFinishedStepsAndTheNextRunCompletes() throws {
            let fixture = try AggregationFixture("killsessions")
            let rows = try prepare(fixture)
            let middle = try sessionsOf(fixture, "kill-2")
            let newest = try sessionsOf(fixture, "kill-1")
            let blocker = try Blocker(
                fixture.connectionString, locking: "SELECT 1 FROM analytics.sessions WHERE person_id = 'kill-2'")

            let run = BackgroundRun { [runner = fixture.runner] in
                try AggregationFixture.run(SessionsJob(), runner: runner)
            }
            let pid = try waitingBackend(fixture, "DELETE FROM analytics.sessions")
            // The step of kill-3's day (the oldest) committed before the one that waits.
            #expect(try MarkTable.events.count(on: fixture.database) == 2)
            #expect(try sessionsOf(fixture, "kill-3").first?[1] == "3")
            try fixture.database.query("SELECT pg_terminate_backend($1)", [String(pid)])
            let report = try run.report()
            #expect(report.run.status == .failed)
            try blocker.release()

            // Nothing of the cut step, nor of the one after it: their visits and marks are as they were.
            #expect(try sessionsOf(fixture, "kill-2") == middle)
            #expect(try sessionsOf(fixture, "kill-1") == newest)
            #expect(try MarkTable.events.count(on: fixture.database) == 2)
            #expect(
                try fixture.count("SELECT count(*) FROM sluice.job_runs WHERE job = 'sessions' AND status = 'failed'")
                    == 1)

            try fixture.aggregate()
            expectMatches(try StoredStats(fixture.database), ExpectedStats(rows))
        }

        @Test func aSessionsStepWhoseLeaseIsTakenOverCommitsNothing() throws {
            let fixture = try AggregationFixture("leaselost")
            let rows = try prepare(fixture)
            let middle = try sessionsOf(fixture, "kill-2")
            let blocker = try Blocker(
                fixture.connectionString, locking: "SELECT 1 FROM analytics.sessions WHERE person_id = 'kill-2'")

            let run = BackgroundRun { [runner = fixture.runner] in
                try AggregationFixture.run(SessionsJob(), runner: runner)
            }
            _ = try waitingBackend(fixture, "DELETE FROM analytics.sessions")
            // Another node takes the lease over (as after a pause longer than the timeout) while the step waits.
            try fixture.database.query(
                """
                UPDATE sluice.job_leases SET holder = 'thief@elsewhere:1', token = token + 1, expires_at = now()
                WHERE job = 'sessions'
                """
            )
            try blocker.release()
            let report = try run.report()
            #expect(report.run.status == .failed)
            #expect(report.run.error?.contains("lease") == true, "\(report.run.error ?? "")")
            #expect(try sessionsOf(fixture, "kill-2") == middle)
            #expect(try MarkTable.events.count(on: fixture.database) == 2)

            try fixture.aggregate()
            expectMatches(try StoredStats(fixture.database), ExpectedStats(rows))
        }

        @Test func aRollupsRunWhoseBackendIsTerminatedLeavesWholeBucketsAndTheNextRunCompletes() throws {
            let fixture = try AggregationFixture("killrollups")
            let rows = try prepare(fixture)
            let sessions = try fixture.run(SessionsJob())
            #expect(sessions.run.status == .succeeded)
            let before = try StoredStats(fixture.database)
            let days = (1...3).map { Int64(CalendarDay.today().adding(days: -(2 * $0 - 1)).unixDay) }
            let middleHour = CalendarDay.today().adding(days: -3).start.iso8601String
            let blocker = try Blocker(
                fixture.connectionString,
                locking:
                    "SELECT 1 FROM analytics.rollup_hourly WHERE bucket = '\(middleHour)'::timestamptz + interval '10 hours'"
            )

            let run = BackgroundRun { [runner = fixture.runner] in
                try AggregationFixture.run(RollupsJob(), runner: runner)
            }
            let pid = try waitingBackend(fixture, "DELETE FROM analytics.rollup_hourly")
            try fixture.database.query("SELECT pg_terminate_backend($1)", [String(pid)])
            #expect(try run.report().run.status == .failed)
            try blocker.release()

            // The oldest day was rewritten whole; the cut one and the newest not at all.
            let cut = try StoredStats(fixture.database)
            func marker(_ stats: StoredStats, _ day: Int64) -> String? {
                stats.daily[BucketKey(projectID: 1, dimension: "", bucket: day, value: "")]?.updatedAt
            }
            #expect(marker(cut, days[2]) != marker(before, days[2]))
            #expect(marker(cut, days[1]) == marker(before, days[1]))
            #expect(marker(cut, days[0]) == marker(before, days[0]))
            let oldest = cut.hourly.filter {
                ExpectedStats.floor($0.key.bucket, 24) == days[2]
                    && $0.value.updatedAt != before.hourly[$0.key]?.updatedAt
            }
            #expect(
                Set(oldest.values.map(\.updatedAt)).count == 1, "the oldest day's rows were written in one transaction")
            let expected = ExpectedStats(rows)
            for (key, row) in cut.daily where key.bucket == days[2] {
                #expect(
                    row.visits == expected.daily[key]?.visits && row.pageviews == expected.daily[key]?.pageviews,
                    "\(key)")
            }
            #expect(try MarkTable.rollups.count(on: fixture.database) > 0)

            let next = try fixture.run(RollupsJob())
            #expect(next.run.status == .succeeded)
            expectMatches(try StoredStats(fixture.database), expected)
        }
    }
}
