import SluiceCore
import SluicePostgres
import SluiceRollups
import SluiceRollupsJob
import Testing

/// The blocks of days (`analytics.rollup_span_dims`) that breakdowns over long ranges read: after the jobs,
/// every block's rows are exactly the union of its days' rows, for every block that holds a day with rows;
/// a late event rewrites only the four blocks holding its day.
extension AggregationDatabaseTests {
    @Suite struct SpanRollupsTests {
        /// Rows of `rollup_span_dims` that differ from the blocks built here independently from the daily
        /// rows (every aligned block over every day that has rows), in either direction. The visitors are
        /// compared by the count of the union's sketch, which depends on nothing but the persons hashed in.
        static func mismatches(_ database: PostgresConnection) throws -> [[String?]] {
            let expected = RollupSpan.lengths.map { length in
                """
                SELECT project_id, dimension, \(length) AS span_days,
                       day - ((day - DATE '1970-01-01') % \(length) + \(length)) % \(length) AS first_day, value,
                       hll_cardinality(hll_union_agg(visitors)) AS visitors, sum(pageviews) AS pageviews,
                       sum(events) AS events, sum(visits) AS visits, sum(bounces) AS bounces,
                       sum(duration_us) AS duration_us, sum(visit_pageviews) AS visit_pageviews
                FROM analytics.rollup_daily_dims GROUP BY 1, 2, 4, 5
                """
            }.joined(separator: "\nUNION ALL\n")
            let stored = """
                SELECT project_id, dimension, span_days::int, first_day, value, hll_cardinality(visitors),
                       pageviews::numeric, events::numeric, visits::numeric, bounces::numeric,
                       duration_us::numeric, visit_pageviews::numeric
                FROM analytics.rollup_span_dims
                """
            return try database.query(
                """
                (SELECT 'missing', * FROM ((\(expected)) EXCEPT (\(stored))) AS m)
                UNION ALL
                (SELECT 'extra', * FROM ((\(stored)) EXCEPT (\(expected))) AS e)
                LIMIT 5
                """
            ).rows
        }

        @Test func everyBlockIsTheUnionOfItsDaysAndALateEventRewritesOnlyItsOwn() throws {
            let fixture = try AggregationFixture("spans")
            let rows =
                Traffic.generated(projectID: 1, count: 12_000, days: 20, users: 900, seed: 11)
                + Traffic.generated(projectID: 2, count: 2_000, days: 6, users: 150, seed: 12)
            try fixture.load(rows)
            try fixture.aggregate()
            #expect(try Self.mismatches(fixture.database) == [])
            // Every length is there, and blocks of both projects.
            let lengths = try fixture.database.query(
                "SELECT span_days::text FROM analytics.rollup_span_dims GROUP BY span_days ORDER BY rollup_span_dims.span_days"
            ).rows.map { $0[0] ?? "" }
            #expect(lengths == ["2", "4", "8", "16"])
            #expect(try fixture.count("SELECT count(DISTINCT project_id) FROM analytics.rollup_span_dims") == 2)

            let markers = """
                SELECT span_days::text || ' ' || first_day::text, max(updated_at)::text
                FROM analytics.rollup_span_dims WHERE project_id = 1 GROUP BY span_days, first_day
                """
            let before = Dictionary(
                uniqueKeysWithValues: try fixture.database.query(markers).rows.map { ($0[0]!, $0[1]!) })
            // A late pageview ten days ago, of a page no one saw.
            let late = CalendarDay.today().adding(days: -10)
            try fixture.load([
                Traffic.event(
                    .page, "late-span", at: late.start.unixMicroseconds + 9 * 3_600_000_000, path: "/late",
                    id: "late-span-1")
            ])
            try fixture.aggregate()
            #expect(try Self.mismatches(fixture.database) == [])
            let after = Dictionary(
                uniqueKeysWithValues: try fixture.database.query(markers).rows.map { ($0[0]!, $0[1]!) })
            let holding = Set(RollupSpan.containing(late).map { "\($0.length) \($0.firstDay)" })
            #expect(Set(after.keys) == Set(before.keys))
            for (block, marker) in after {
                if holding.contains(block) {
                    #expect(marker != before[block], "\(block) holds the late day")
                } else {
                    #expect(marker == before[block], "\(block) does not hold the late day")
                }
            }
            let page = try fixture.database.query(
                """
                SELECT span_days::text, pageviews::text FROM analytics.rollup_span_dims
                WHERE project_id = 1 AND dimension = 'page' AND value = '/late' ORDER BY rollup_span_dims.span_days
                """
            ).rows
            #expect(page == RollupSpan.lengths.map { [String($0), "1"] })
        }
    }
}
