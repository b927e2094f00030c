import SluiceCore
import SluiceStats
import Testing

/// What the statements say and bind; that they run and count right is for the tests against PostgreSQL.
@Suite struct StatsStatementTests {
    let range = StatsRange(
        from: CalendarDay(year: 2026, month: 11, day: 1)!, to: CalendarDay(year: 2026, month: 11, day: 7)!)

    @Test func dailyRollupBindsProjectAndDays() {
        let plan = StatsPlan(StatsQuery(endpoint: .aggregate, range: range, metrics: [.visitors]), projectID: 42)
        #expect(plan.statement.parameters == ["42", "2026-11-01", "2026-11-07"])
        #expect(plan.statement.sql.contains("FROM analytics.rollup_daily\n"))
        #expect(plan.statement.sql.contains("hll_union_agg(visitors)"))
    }

    @Test func hourlyTimeseriesReadsHourlyRowsOfTheWholeDays() {
        let query = StatsQuery(endpoint: .timeseries, range: range, interval: .hour)
        let plan = StatsPlan(query, projectID: 1)
        #expect(plan.statement.sql.contains("FROM analytics.rollup_hourly\n"))
        #expect(plan.statement.parameters == ["1", "2026-11-01T00:00:00Z", "2026-11-08T00:00:00Z"])
    }

    @Test func aFilteredBreakdownBindsDimensionValuesAndLimit() throws {
        let query = StatsQuery(
            endpoint: .breakdown, range: range, filters: try StatsFilter.parse(#"page!=/a|/"q"|/b\\c"#),
            property: .page, limit: 25
        )
        let plan = StatsPlan(query, projectID: 1)
        #expect(plan.source == .dimensionRollup(.page))
        #expect(
            plan.statement.parameters == ["1", "2026-11-01", "2026-11-07", "page", #"{"/a","/\"q\"","/b\\c"}"#, "25"])
        #expect(plan.statement.sql.contains("value <> ALL($5::text[])"))
        #expect(plan.statement.sql.contains("ORDER BY 2 DESC, 3 DESC, key COLLATE \"C\"\nLIMIT $6::bigint"))
    }

    @Test func theRawPathJoinsVisitsOnlyWhereTheAnswerNeedsThem() throws {
        func raw(_ filters: String, property: StatsProperty? = nil) throws -> String {
            StatsPlan.raw(
                StatsQuery(
                    endpoint: property == nil ? .aggregate : .breakdown, range: range,
                    filters: try StatsFilter.parse(filters), property: property
                ),
                projectID: 1
            ).sql
        }
        #expect(try !raw("page==/a|/b").contains("JOIN selected v"))
        #expect(try raw("page==/a;country==DE").contains("JOIN selected v"))
        #expect(try raw("page==/a;event==Signup").contains("JOIN selected v"))
        #expect(try raw("event==Signup", property: .page).contains("JOIN selected v"))
        #expect(try raw("event==Signup", property: .country).contains("JOIN selected v"))
        // Session filters alone count the event measures from the visits themselves.
        #expect(try !raw("country==DE;browser==Firefox").contains("event_side"))
        #expect(try raw("country==DE;browser==Firefox").contains("count(DISTINCT v.person_id) AS visitors"))
    }

    @Test func realtimeCountsTheLastFiveMinutes() {
        let plan = StatsPlan(StatsQuery(endpoint: .realtimeVisitors, range: range), projectID: 9)
        #expect(plan.statement.parameters == ["9"])
        #expect(plan.statement.sql.contains("now() - interval '5 minutes'"))
    }
}
