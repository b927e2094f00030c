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
        // 1–7 November: the 2-day block from the 1st, the 4-day block from the 3rd, then the 7th alone.
        #expect(
            plan.statement.parameters == [
                "1", "page", #"{"/a","/\"q\"","/b\\c"}"#, "2026-11-07", "2026-11-01", "2026-11-03", "25",
            ])
        let sql = plan.statement.sql
        #expect(sql.contains("value <> ALL($3::text[])"))
        // The pieces as (length, first day), a day's length 1; each piece's rows by its table's primary key.
        #expect(sql.contains("FROM (VALUES (1, $4::date), (2, $5::date), (4, $6::date)) AS piece(span_days, first_day)"))
        for part in [
            "FROM analytics.rollup_daily_dims", "AND piece.span_days = 1", "AND day = piece.first_day",
            "FROM analytics.rollup_span_dims", "AND span_days = piece.span_days", "AND first_day = piece.first_day",
        ] {
            #expect(sql.contains(part), "\(part)")
        }
        #expect(sql.contains("ORDER BY 2 DESC, 3 DESC, key COLLATE \"C\"\nLIMIT $7::bigint"))
    }

    @Test func aDimensionOverOneDayOrByDayReadsDailyRows() throws {
        let day = StatsRange(from: range.from, to: range.from)
        let oneDay = StatsPlan(StatsQuery(endpoint: .breakdown, range: day, property: .page), projectID: 1).statement
        #expect(oneDay.sql.contains("FROM analytics.rollup_daily_dims\n    WHERE") && !oneDay.sql.contains("span"))
        #expect(oneDay.parameters == ["1", "page", "2026-11-01", "2026-11-01", "100"])
        let series = StatsPlan(
            StatsQuery(endpoint: .timeseries, range: range, filters: try StatsFilter.parse("page==/a|/b")), projectID: 1
        ).statement
        #expect(!series.sql.contains("rollup_span_dims"), "a timeseries reads each day's own rows")
        let block = StatsRange(from: CalendarDay(year: 2026, month: 10, day: 26)!, to: CalendarDay(year: 2026, month: 11, day: 10)!)
        let aligned = StatsPlan(StatsQuery(endpoint: .aggregate, range: block, filters: try StatsFilter.parse("os==iOS")), projectID: 1)
        #expect(aligned.statement.sql.contains("(VALUES (16, $4::date))"), "16 days from a multiple of 16: one block")
        #expect(aligned.statement.parameters == ["1", "os", #"{"iOS"}"#, "2026-10-26"])
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
        #expect(statement.parameters == ["1", "referrer", "2026-11-07", "2026-11-01", "2026-11-03", "7"])
        #expect(statement.sql.contains(#"SELECT key FROM bounds ORDER BY high DESC, key COLLATE "C" LIMIT $6::bigint"#))
        let cut = "WHERE 10 * high >= 9 * (SELECT coalesce(min(visitors), 0) FROM first_visitors) - 10"
        #expect(statement.sql.contains(cut))
        #expect(statement.sql.components(separatedBy: "hll_union_agg").count == 3, "first_visitors and rest_visitors")
        // The candidates' rows are found value by value in both tables: the condition is in each branch.
        // bounds, then first_visitors and rest_visitors: per candidate a subquery, with a lateral per piece.
        #expect(statement.sql.components(separatedBy: "CROSS JOIN LATERAL (").count == 6)
        #expect(statement.sql.components(separatedBy: "AND value = candidate.value").count == 5, "2 tables, twice")
        #expect(statement.sql.components(separatedBy: "OFFSET 0").count == 6)
        #expect(statement.sql.hasSuffix("LIMIT $6::bigint"))
    }

    @Test func aLongBreakdownUnionsEveryValue() {
        let query = StatsQuery(endpoint: .breakdown, range: range, property: .page, limit: 101)
        let statement = StatsPlan(query, projectID: 1).statement
        #expect(statement.parameters == ["1", "page", "2026-11-07", "2026-11-01", "2026-11-03", "101"])
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

    @Test func realtimeCountsTheLastFiveMinutesInsideTheHoursAroundTheServersClock() {
        // 2026-12-02T00:03:00Z: the database's five minutes reach into the day before, which the bound keeps.
        let now = Timestamp(unixSeconds: 1_796_169_780)
        let plan = StatsPlan(StatsQuery(endpoint: .realtimeVisitors, range: range), projectID: 9, now: now)
        #expect(plan.statement.parameters == ["9", "2026-12-01T23:03:00Z", "2026-12-02T01:03:00Z"])
        #expect(plan.statement.sql.contains(#""timestamp" >= $2::timestamptz AND "timestamp" < $3::timestamptz"#))
        #expect(plan.statement.sql.contains("now() - interval '5 minutes'"))
    }
}
