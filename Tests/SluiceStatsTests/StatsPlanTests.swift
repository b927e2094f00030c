import SluiceCore
import SluiceStats
import Testing

@Suite struct StatsPlanTests {
    let range = StatsRange(
        from: CalendarDay(year: 2026, month: 11, day: 1)!, to: CalendarDay(year: 2026, month: 11, day: 30)!)

    func source(
        _ endpoint: StatsEndpoint, _ filters: String, metrics: [StatsMetric] = [.visitors, .pageviews],
        property: StatsProperty? = nil
    ) throws -> StatsPlan.Source {
        let query = StatsQuery(
            endpoint: endpoint, range: range, metrics: metrics, filters: try StatsFilter.parse(filters),
            property: property
        )
        return StatsPlan.source(for: query)
    }

    @Test func noFilterReadsTheRollups() throws {
        #expect(try source(.aggregate, "") == .rollup)
        #expect(try source(.timeseries, "") == .rollup)
        #expect(try source(.breakdown, "", property: .page) == .dimensionRollup(.page))
        #expect(try source(.realtimeVisitors, "") == .realtime)
    }

    @Test func onlyTheRollupsReadsKeepTheirPlans() throws {
        func plan(_ endpoint: StatsEndpoint, _ filters: String, metrics: [StatsMetric], property: StatsProperty? = nil)
            throws -> StatsPlan
        {
            let query = StatsQuery(
                endpoint: endpoint, range: range, metrics: metrics, filters: try StatsFilter.parse(filters),
                property: property
            )
            return StatsPlan(query, projectID: 7)
        }
        #expect(try plan(.aggregate, "", metrics: [.visitors]).statement.reusesPlan)
        #expect(try plan(.breakdown, "", metrics: [.visitors], property: .page).statement.reusesPlan)
        #expect(try plan(.timeseries, "country==DE", metrics: [.visits]).statement.reusesPlan)
        // The reads of events: their partitions are pruned by their bounds' values at planning.
        #expect(try !plan(.aggregate, "page==/a|/b", metrics: [.visitors, .visits]).statement.reusesPlan)
        #expect(try !plan(.realtimeVisitors, "", metrics: [.visitors]).statement.reusesPlan)
    }

    @Test func filtersOnOneSessionDimensionReadItsRollup() throws {
        let all = StatsMetric.allCases.filter { $0 != .conversionRate }
        #expect(try source(.aggregate, "country==DE", metrics: all) == .dimensionRollup(.country))
        #expect(try source(.aggregate, "country==DE|FR", metrics: all) == .dimensionRollup(.country))
        #expect(try source(.timeseries, "country!=DE", metrics: all) == .dimensionRollup(.country))
        #expect(try source(.aggregate, "country==DE|FR;country!=FR", metrics: all) == .dimensionRollup(.country))
    }

    @Test func anEventDimensionWithSeveralValuesGoesRawOnlyForVisitMetrics() throws {
        #expect(try source(.aggregate, "page==/a", metrics: [.visits, .bounceRate]) == .dimensionRollup(.page))
        #expect(try source(.aggregate, "page==/a|/b", metrics: [.visitors, .pageviews]) == .dimensionRollup(.page))
        #expect(try source(.aggregate, "page!=/a", metrics: [.visitors, .events]) == .dimensionRollup(.page))
        #expect(try source(.aggregate, "page==/a|/b", metrics: [.visitors, .visits]) == .raw)
        #expect(try source(.aggregate, "event!=Signup", metrics: [.viewsPerVisit]) == .raw)
        #expect(try source(.timeseries, "page==/a;page==/b", metrics: [.visitDuration]) == .raw)
    }

    @Test func combinationsGoRaw() throws {
        #expect(try source(.aggregate, "country==DE;page==/a") == .raw)
        #expect(try source(.aggregate, "country==DE;browser==Firefox") == .raw)
        #expect(try source(.breakdown, "country==DE", property: .page) == .raw)
    }

    @Test func aBreakdownFilteredOnItsOwnPropertyReadsItsRollup() throws {
        let metrics: [StatsMetric] = [.visitors, .visits, .bounceRate]
        #expect(try source(.breakdown, "page==/a|/b", metrics: metrics, property: .page) == .dimensionRollup(.page))
        #expect(try source(.breakdown, "page!=/a", metrics: metrics, property: .page) == .dimensionRollup(.page))
        #expect(try source(.breakdown, "os==Linux|iOS", metrics: metrics, property: .os) == .dimensionRollup(.os))
    }

    @Test func conversionRateDividesByTheRangeWithoutEventFilters() throws {
        let query = StatsQuery(
            endpoint: .breakdown, range: range, metrics: [.visitors, .conversionRate],
            filters: try StatsFilter.parse("event==Signup|Order;country==DE"), property: .event
        )
        let plan = StatsPlan(query, projectID: 7)
        #expect(plan.source == .raw)
        let denominator = try #require(plan.denominator)
        #expect(denominator.sql.contains("analytics.rollup_span_dims"), "the range's blocks of days")
        #expect(denominator.parameters.contains(#"{"DE"}"#))
        #expect(!denominator.parameters.contains(#"{"Signup","Order"}"#))

        let unfiltered = StatsPlan(
            StatsQuery(endpoint: .breakdown, range: range, metrics: [.conversionRate], property: .event), projectID: 7
        )
        #expect(unfiltered.denominator?.sql.contains("FROM analytics.rollup_daily\n") == true)
        #expect(StatsPlan(StatsQuery(endpoint: .aggregate, range: range), projectID: 7).denominator == nil)
    }
}
