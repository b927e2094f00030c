import SluiceCore
import SluicePostgres
import SluiceRollupsJob
import SluiceSessionsJob
import SluiceStore
import Testing

/// The sessions and rollups jobs against generated traffic loaded through the real loader: every visit and
/// every rollup row compared with what the definitions give for the events the test made.
extension AggregationDatabaseTests {
    @Suite struct AggregationTests {
        @Test func generatedTrafficMatchesAnIndependentCount() throws {
            let fixture = try AggregationFixture("generated")
            let rows =
                Traffic.generated(projectID: 1, count: 30_000, days: 5, users: 1_500, seed: 7)
                + Traffic.generated(projectID: 2, count: 6_000, days: 5, users: 400, seed: 8) + Traffic.edgeCases()
            try fixture.load(rows)
            #expect(try fixture.count("SELECT count(*) FROM analytics.events") == rows.count)
            #expect(try MarkTable.events.count(on: fixture.database) > 0)

            try fixture.aggregate()
            #expect(try MarkTable.events.count(on: fixture.database) == 0)
            #expect(try MarkTable.rollups.count(on: fixture.database) == 0)

            let expected = ExpectedStats(rows)
            let stored = try StoredStats(fixture.database)
            #expect(expected.visits.count > 5_000)
            let compared = expectMatches(stored, expected)
            #expect(compared > 10_000)

            // Over the whole range, the union of the daily sketches against the exact number of persons.
            for project: Int64 in [1, 2] {
                let persons = Set(expected.visits.filter { $0.projectID == project }.map(\.person))
                let estimate = Double(
                    try fixture.database.query(
                        "SELECT hll_cardinality(hll_union_agg(visitors)) FROM analytics.rollup_daily WHERE project_id = $1",
                        [String(project)]
                    ).string(0, 0)!)!
                #expect(
                    withinSketchError(estimate, persons.count), "project \(project): \(estimate) vs \(persons.count)")
            }
        }

        @Test func theEdgesOfTheDefinitions() throws {
            let fixture = try AggregationFixture("edges")
            let rows = Traffic.edgeCases()
            try fixture.load(rows)
            try fixture.aggregate()
            let stored = try StoredStats(fixture.database)
            expectMatches(stored, ExpectedStats(rows))

            func visits(_ person: String) -> [Visit] {
                stored.visits.filter { $0.person == person }.sorted { $0.start < $1.start }
            }
            let minute = Traffic.minute
            // 29 minutes: one visit; 31 minutes: two bounces; 30 minutes exactly joins, 30 min + 1 µs does not.
            #expect(visits("edge-29").map(\.pageviews) == [2])
            #expect(visits("edge-29").first?.duration == 29 * minute)
            #expect(visits("edge-29").first?.entryPage == "/a" && visits("edge-29").first?.exitPage == "/b")
            #expect(visits("edge-29").first?.utmSource == "newsletter")
            #expect(visits("edge-31").map(\.isBounce) == [true, true])
            #expect(visits("edge-30").map(\.events) == [2, 1])
            #expect(visits("edge-30").first?.duration == 30 * minute)
            let screenOnly = try #require(visits("edge-30").last)
            #expect(screenOnly.pageviews == 0 && !screenOnly.isBounce && screenOnly.entryPage == nil)
            // Across midnight: one visit, on the day it started.
            let midnight = visits("edge-midnight")
            #expect(midnight.count == 1)
            #expect(midnight.first.map { CalendarDay(Timestamp(unixMicroseconds: $0.start)) } == Traffic.edgeDay)
            #expect(midnight.first?.entryPage == "/late" && midnight.first?.exitPage == "/thanks")
            #expect(midnight.first?.duration == 35 * minute)
            // Bots are nobody; identify does not bridge a pause; userId wins.
            #expect(visits("edge-bot").isEmpty)
            #expect(visits("edge-identify").count == 2)
            #expect(visits("edge-user").map(\.pageviews) == [2])
            #expect(visits("edge-anon-1").isEmpty && visits("edge-anon-2").isEmpty)
            #expect(visits("edge-nopath").first?.pages == ["(none)"])
            #expect(visits("edge-nopath").first?.eventNames == ["Button Clicked"])

            // The day's totals, spelled out: 11 pageviews and 14 events (bots and identify left out), 10 visits.
            let day = Int64(Traffic.edgeDay.unixDay)
            let total = try #require(stored.daily[BucketKey(projectID: 1, dimension: "", bucket: day, value: "")])
            #expect(total.pageviews == 11 && total.events == 14)
            #expect(total.visits == 10 && total.bounces == 4)
            #expect(total.visitors == 7)
            let nextDay = try #require(stored.daily[BucketKey(projectID: 1, dimension: "", bucket: day + 1, value: "")])
            #expect(nextDay.visits == 0 && nextDay.pageviews == 1 && nextDay.events == 2 && nextDay.visitors == 1)
        }

        @Test func aSecondRunWithoutNewMarksChangesNothing() throws {
            let fixture = try AggregationFixture("idempotent")
            try fixture.load(Traffic.generated(projectID: 1, count: 4_000, days: 3, users: 300, seed: 3))
            try fixture.aggregate()
            let before = try StoredStats(fixture.database)
            let sessionsBefore = try fixture.database.query(
                "SELECT person_id, session_start::text, updated_at::text FROM analytics.sessions ORDER BY 1, 2"
            ).rows
            try fixture.aggregate()
            let after = try StoredStats(fixture.database)
            #expect(before.hourly == after.hourly && before.daily == after.daily)
            #expect(
                try fixture.database.query(
                    "SELECT person_id, session_start::text, updated_at::text FROM analytics.sessions ORDER BY 1, 2"
                ).rows == sessionsBefore)
            let last = try fixture.database.query(
                "SELECT job, summary FROM sluice.job_runs WHERE status = 'succeeded' ORDER BY id DESC LIMIT 2"
            ).rows
            #expect(last == [["rollups", "no rollup marks"], ["sessions", "no event marks"]])
        }

        @Test func reloadingTheSameHoursAgainRecomputesToTheSameNumbers() throws {
            // Marks repeated (a replayed batch's hours, a partitions move) only make work, never different rows.
            let fixture = try AggregationFixture("remark")
            let rows = Traffic.generated(projectID: 1, count: 3_000, days: 2, users: 200, seed: 5)
            try fixture.load(rows)
            try fixture.aggregate()
            try fixture.database.query(
                """
                INSERT INTO sluice.event_marks (project_id, hour)
                SELECT DISTINCT project_id, date_trunc('hour', "timestamp", 'UTC') FROM analytics.events
                """
            )
            try fixture.aggregate()
            expectMatches(try StoredStats(fixture.database), ExpectedStats(rows))
        }
    }
}
