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

    @Test func aTimeseriesCountsSketchesOnlyWhereADayHasSeveralRows() throws {
        func sql(_ filters: String, interval: StatsInterval = .day) throws -> String {
            let query = StatsQuery(
                endpoint: .timeseries, range: range, filters: filters.isEmpty ? [] : try StatsFilter.parse(filters),
                interval: interval
            )
            return StatsPlan(query, projectID: 1).statement.sql
        }
        for oneRow in [try sql(""), try sql("", interval: .hour)] {
            #expect(oneRow.contains("AS key, visitor_count, pageviews"))
            #expect(!oneRow.contains("hll_union_agg") && !oneRow.contains("GROUP BY"))
        }
        for oneValue in [try sql("page==/a"), try sql("country==DE;country!=FR")] {
            #expect(oneValue.contains("AS key, round(hll_cardinality(visitors)::numeric)::bigint, pageviews"))
            #expect(!oneValue.contains("hll_union_agg") && !oneValue.contains("GROUP BY"))
        }
        for severalRows in [try sql("page==/a|/b"), try sql("country!=DE")] {
            #expect(severalRows.contains("hll_union_agg(visitors)"))
        }
    }

    @Test func aBreakdownUnionsTheSketchesOfItsCandidatesOnly() {
        let query = StatsQuery(endpoint: .breakdown, range: range, property: .referrer, limit: 7)
        let statement = StatsPlan(query, projectID: 1).statement
        #expect(statement.parameters == ["1", "2026-11-01", "2026-11-07", "referrer", "7"])
        #expect(statement.sql.contains(#"SELECT key FROM bounds ORDER BY high DESC, key COLLATE "C" LIMIT $5::bigint"#))
        let cut = "WHERE 10 * high >= 9 * (SELECT coalesce(min(visitors), 0) FROM first_visitors) - 10"
        #expect(statement.sql.contains(cut))
        #expect(statement.sql.components(separatedBy: "hll_union_agg").count == 3, "first_visitors and rest_visitors")
        #expect(statement.sql.hasSuffix("LIMIT $5::bigint"))
    }

    @Test func aLongBreakdownUnionsEveryValue() {
        let query = StatsQuery(endpoint: .breakdown, range: range, property: .page, limit: 101)
        let statement = StatsPlan(query, projectID: 1).statement
        #expect(statement.parameters == ["1", "2026-11-01", "2026-11-07", "page", "101"])
        #expect(!statement.sql.contains("bounds"))
        #expect(statement.sql.components(separatedBy: "hll_union_agg").count == 2)
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
