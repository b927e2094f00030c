import SluiceCore
import SluicePostgres
import SluiceRollupsJob
import SluiceStats
import SluiceStatsAPI
import SluiceStore
import SluiceTestSupport
import Testing

/// A breakdown unions the sketches of a few values only, and a timeseries counts each row's own sketch (or
/// reads its `visitor_count`): both must answer exactly what unioning and counting every row's sketch
/// answers.
///
/// The rows are written straight into `analytics.rollup_daily_dims` (sketches built by postgresql-hll from
/// known persons), so each case can put values right at the cut; the expected answers come from this
/// file's own statement, which unions every value's sketches of the daily rows. The blocks of days the
/// Stats API reads (`rollup_span_dims`) are then built from those rows by the rollups job's own statements
/// (``blocks(_:project:)``).
@Suite struct StatsBreakdownCutTests {
    static let first = CalendarDay(year: 2026, month: 11, day: 1)!
    static let range = StatsRange(from: first, to: CalendarDay(year: 2026, month: 11, day: 30)!)

    struct Row: Equatable, CustomStringConvertible {
        var value: String
        var visitors: Int64
        var pageviews: Int64
        var events: Int64
        var description: String { "\(value) \(visitors)/\(pageviews)/\(events)" }
    }

    /// A migrated database with one project.
    static func database(_ label: String) throws -> (PostgresConnection, Int64) {
        let connection = try PostgresConnection(try TestDatabase.fresh(label))
        try Migrator.bundled().migrate(connection)
        let project = try ProjectStore.create(name: "Cut \(label)", on: connection).project.id
        return (connection, project)
    }

    /// One page's row for the day `offset` days after the first: a sketch of `persons` (text ids).
    static func insert(
        _ connection: PostgresConnection, project: Int64, page: String, day offset: Int, persons: String
    ) throws {
        _ = try connection.query(
            """
            INSERT INTO analytics.rollup_daily_dims (project_id, dimension, day, value, visitors, pageviews, events,
                visits, bounces, duration_us, visit_pageviews)
            SELECT $1::bigint, 'page', $2::date + $3::int, $4, hll_add_agg(hll_hash_text(person), 14, 5),
                count(*), count(*), 0, 0, 0, 0
            FROM (\(persons)) AS chosen(person)
            """,
            [String(project), first.description, String(offset), page]
        )
    }

    /// Builds the blocks of days over the range from the daily rows written, as the rollups job does after
    /// recomputing days.
    static func blocks(_ connection: PostgresConnection, project: Int64) throws {
        let days = (0..<range.days).map { first.adding(days: $0) }
        #expect(try RollupsJob.rewriteSpans(holding: days, projects: [project], on: connection) > 0)
    }

    /// The breakdown by page through the Stats API's own plan and statement.
    static func planned(_ connection: PostgresConnection, project: Int64, limit: Int, filters: String = "") throws
        -> [Row]
    {
        let query = StatsQuery(
            endpoint: .breakdown, range: range, filters: filters.isEmpty ? [] : try StatsFilter.parse(filters),
            property: .page,
            limit: limit
        )
        let plan = StatsPlan(query, projectID: project)
        #expect(plan.source == .dimensionRollup(.page))
        return try StatsController.rows(plan.statement, on: connection).map {
            Row(value: $0.key, visitors: $0.measures.visitors, pageviews: $0.measures.pageviews,
                events: $0.measures.events)
        }
    }

    /// The same breakdown with every value's sketches unioned and counted.
    static func unioned(_ connection: PostgresConnection, project: Int64, limit: Int, excluding: [String] = [])
        throws -> [Row]
    {
        let result = try connection.query(
            """
            SELECT value, round(hll_cardinality(hll_union_agg(visitors))::numeric)::bigint, sum(pageviews)::bigint,
                sum(events)::bigint
            FROM analytics.rollup_daily_dims
            WHERE project_id = $1::bigint AND dimension = 'page' AND day BETWEEN $2::date AND $2::date + 29
                AND NOT value = ANY($4::text[])
            GROUP BY value
            ORDER BY 2 DESC, 3 DESC, value COLLATE "C"
            LIMIT $3::bigint
            """,
            [String(project), first.description, String(limit), "{" + excluding.joined(separator: ",") + "}"]
        )
        return try (0..<result.rowCount).map { row in
            Row(
                value: result.string(row, 0) ?? "", visitors: Int64(try result.int(row, 1) ?? -1),
                pageviews: Int64(try result.int(row, 2) ?? -1), events: Int64(try result.int(row, 3) ?? -1)
            )
        }
    }

    /// Values whose daily counts say little about their union: the same 100 persons every day (each day
    /// 100, the union 100, the sum 3,000), 30 days of 10 new persons each (each day 10, the union 300),
    /// 200 persons on one day, 15 days of 10 new persons.
    @Test func valuesWhoseDaysOverlapOrNotAreRankedByTheirUnion() throws {
        let (connection, project) = try Self.database("cut-shapes")
        for day in 0..<30 {
            try Self.insert(
                connection, project: project, page: "/same", day: day,
                persons: "SELECT 'same-' || n FROM generate_series(1, 100) AS n")
            try Self.insert(
                connection, project: project, page: "/fresh", day: day,
                persons: "SELECT 'fresh-\(day)-' || n FROM generate_series(1, 10) AS n")
            if day < 15 {
                try Self.insert(
                    connection, project: project, page: "/half", day: day,
                    persons: "SELECT 'half-\(day)-' || n FROM generate_series(1, 10) AS n")
            }
        }
        try Self.insert(
            connection, project: project, page: "/burst", day: 3,
            persons: "SELECT 'burst-' || n FROM generate_series(1, 200) AS n")
        try Self.blocks(connection, project: project)

        let all = try Self.unioned(connection, project: project, limit: 10)
        #expect(all.map(\.value) == ["/fresh", "/burst", "/half", "/same"])
        #expect(all.map(\.visitors) == [300, 200, 150, 100])
        for limit in 1...5 {
            #expect(try Self.planned(connection, project: project, limit: limit) == Array(all.prefix(limit)))
        }
        // A filter narrows the values before the cut is taken.
        #expect(
            try Self.planned(connection, project: project, limit: 1, filters: "page!=/fresh")
                == Self.unioned(connection, project: project, limit: 1, excluding: ["/fresh"]))
    }

    /// 400 pages over 30 days, a few popular ones dense (thousands of persons a day), a long tail of close
    /// counts, persons drawn from one shared pool so that days and pages overlap; every limit answers as the
    /// full union does, and the cut does leave values out.
    @Test func aLongTailAnswersAsTheFullUnionAtEveryLimit() throws {
        let (connection, project) = try Self.database("cut-tail")
        _ = try connection.execute("SELECT setseed(0.31)")
        _ = try connection.query(
            """
            INSERT INTO analytics.rollup_daily_dims (project_id, dimension, day, value, visitors, pageviews, events,
                visits, bounces, duration_us, visit_pageviews)
            SELECT $1::bigint, 'page', $2::date + d, '/p' || v,
                hll_add_agg(hll_hash_text('person-' || (random() * 40000)::int), 14, 5), count(*), count(*) * 2,
                0, 0, 0, 0
            FROM generate_series(1, 400) AS v, generate_series(0, 29) AS d,
                LATERAL generate_series(1, 1 + (6000.0 / v * (0.5 + random()))::int) AS n
            GROUP BY v, d
            """,
            [String(project), Self.first.description]
        )
        try Self.blocks(connection, project: project)
        let dense = try connection.query(
            """
            SELECT count(*) FROM analytics.rollup_daily_dims
            WHERE project_id = $1::bigint AND hll_cardinality(visitors) > 2000
            """,
            [String(project)])
        #expect(try dense.int(0, 0) ?? 0 > 30, "the popular pages' sketches are dense")

        for limit in [1, 2, 5, 10, 25, 100, 399, 400, 1000] {
            let expected = try Self.unioned(connection, project: project, limit: limit)
            #expect(expected.count == min(limit, 400))
            #expect(try Self.planned(connection, project: project, limit: limit) == expected, "limit \(limit)")
        }
        // At limit 10 the cut leaves out pages whose events stay below the visitors of the 10th page, which
        // shows this case exercises it, not only the values it keeps.
        let tenth = try #require(try Self.unioned(connection, project: project, limit: 10).last?.visitors)
        let left = try connection.query(
            """
            SELECT count(*) FROM (
                SELECT sum(events) AS high FROM analytics.rollup_daily_dims
                WHERE project_id = $1::bigint GROUP BY value
            ) AS bounds
            WHERE 10 * high < 9 * $2::bigint - 10
            """,
            [String(project), String(tenth)])
        #expect(try left.int(0, 0) ?? 0 > 100)
    }

    /// A timeseries answers each day from its row's own count, filtered on one value or not: the same as
    /// counting the row's sketch.
    @Test(arguments: ["page==/p", ""])
    func aTimeseriesReadsEachRowsOwnCount(filter: String) throws {
        let (connection, project) = try Self.database("cut-series")
        for day in 0..<30 {
            try Self.insert(
                connection, project: project, page: "/p", day: day,
                persons: "SELECT 'p-' || n FROM generate_series(1, \(day * 150 + 1)) AS n")
        }
        _ = try connection.query(
            """
            INSERT INTO analytics.rollup_daily (project_id, day, visitors, pageviews, events, visits, bounces,
                duration_us, visit_pageviews)
            SELECT project_id, day, visitors, pageviews, events, visits, bounces, duration_us, visit_pageviews
            FROM analytics.rollup_daily_dims WHERE project_id = $1::bigint
            """,
            [String(project)])
        let query = StatsQuery(
            endpoint: .timeseries, range: Self.range, filters: filter.isEmpty ? [] : try StatsFilter.parse(filter),
            interval: .day)
        let plan = StatsPlan(query, projectID: project)
        #expect(plan.source == (filter.isEmpty ? .rollup : .dimensionRollup(.page)))
        #expect(!plan.statement.sql.contains("hll_union_agg"))
        let rows = try StatsController.rows(plan.statement, on: connection)
        let counted = try connection.query(
            """
            SELECT (day - DATE '1970-01-01')::text, round(hll_cardinality(visitors)::numeric)::bigint
            FROM analytics.rollup_daily_dims WHERE project_id = $1::bigint ORDER BY day
            """,
            [String(project)])
        let answered = Dictionary(uniqueKeysWithValues: rows.map { ($0.key, $0.measures.visitors) })
        let expected = Dictionary(
            uniqueKeysWithValues: (0..<counted.rowCount).map {
                (counted.string($0, 0) ?? "", Int64(counted.string($0, 1) ?? "") ?? -1)
            })
        #expect(rows.count == 30)
        #expect(answered == expected)
        // Dense sketches are among them: past about 1,280 persons a day a sketch is no longer a list.
        #expect(answered.values.max() ?? 0 > 4000)
    }
}
