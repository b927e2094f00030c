import SluiceCore
import SluiceStats
import Testing

@Suite struct StatsQueryParsingTests {
    let today = CalendarDay(year: 2026, month: 11, day: 20)!

    func parse(_ endpoint: StatsEndpoint, _ query: String) throws(StatsError) -> StatsQuery {
        try StatsQuery(endpoint: endpoint, parameters: StatsQueryString.pairs(query), today: today)
    }

    func refusal(_ endpoint: StatsEndpoint, _ query: String) -> StatsError? {
        do {
            _ = try parse(endpoint, query)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsToVisitorsOverTheLast30Days() throws {
        let query = try parse(.aggregate, "")
        #expect(query.metrics == [.visitors])
        #expect(query.range == StatsRange(from: CalendarDay(year: 2026, month: 10, day: 22)!, to: today))
        #expect(query.range.days == 30)
        #expect(query.filters.isEmpty)
    }

    @Test func readsEveryParameter() throws {
        let query = try parse(
            .breakdown,
            "site_id=example.com&from=2026-11-01&to=2026-11-07&metrics=visitors,bounce_rate,visitors,conversion_rate"
                + "&property=event:name&limit=5&filters=country%3D%3DDE"
        )
        #expect(query.range.from == CalendarDay(year: 2026, month: 11, day: 1))
        #expect(query.range.to == CalendarDay(year: 2026, month: 11, day: 7))
        #expect(query.metrics == [.visitors, .bounceRate, .conversionRate])
        #expect(query.property == .event)
        #expect(query.limit == 5)
        #expect(query.filters == [StatsFilter(.country, .is, ["DE"])])
    }

    @Test func fromAloneRunsToToday() throws {
        #expect(try parse(.aggregate, "from=2026-11-10").range.days == 11)
        #expect(try parse(.aggregate, "to=2026-01-31").range.from == CalendarDay(year: 2026, month: 1, day: 2))
    }

    @Test func intervals() throws {
        #expect(try parse(.timeseries, "").interval == .day)
        #expect(try parse(.timeseries, "interval=date").interval == .day)
        #expect(try parse(.timeseries, "interval=hour&from=2026-11-01&to=2026-11-02").interval == .hour)
        #expect(try parse(.timeseries, "interval=hour&from=2026-08-21&to=2026-11-20").range.days == 92)
    }

    @Test func fiveYearsIsTheLongestRange() throws {
        #expect(try parse(.aggregate, "from=2021-11-20&to=2026-11-20").range.days == 1827)
        #expect(refusal(.aggregate, "from=2021-11-18&to=2026-11-20")?.parameter == "from")
    }

    @Test(
        arguments: [
            (StatsEndpoint.aggregate, "metrics=visitors,time_on_page", "metrics"),
            (.aggregate, "metrics=visitors,", "metrics"),
            (.aggregate, "metrics=conversion_rate", "metrics"),
            (.breakdown, "property=page&metrics=conversion_rate", "metrics"),
            (.breakdown, "property=colour", "property"),
            (.breakdown, "", "property"),
            (.aggregate, "from=2026-11-08&to=2026-11-07", "from"),
            (.aggregate, "from=2020-01-01&to=2026-11-07", "from"),
            (.aggregate, "filters=page%3D/a", "filters"),
            (.aggregate, "filters=colour%3D%3Dred", "filters"),
            (.breakdown, "property=page&limit=0", "limit"),
            (.breakdown, "property=page&limit=10001", "limit"),
            (.breakdown, "property=page&limit=ten", "limit"),
            (.breakdown, "property=page&limit=+5", "limit"),
            (.breakdown, "property=page&limit=99999999999999999999", "limit"),
            (.aggregate, "from=2026-02-30", "from"),
            (.aggregate, "from=2026-1-01", "from"),
            (.aggregate, "to=20261101", "to"),
            (.aggregate, "to=+026-11-01", "to"),
            (.aggregate, "to=2026-11-01T00:00:00Z", "to"),
            (.timeseries, "interval=month", "interval"),
            (.timeseries, "interval=hour&from=2026-08-20&to=2026-11-20", "interval"),
            (.aggregate, "interval=day", "interval"),
            (.aggregate, "property=page", "property"),
            (.aggregate, "limit=5", "limit"),
            (.aggregate, "period=30d", "period"),
            (.aggregate, "metrics=visitors&metrics=visits", "metrics"),
            (.realtimeVisitors, "from=2026-11-01", "from"),
        ]
    )
    func refusesNamingTheParameter(_ endpoint: StatsEndpoint, _ query: String, _ parameter: String) {
        let error = refusal(endpoint, query)
        #expect(error?.parameter == parameter, "\(query): \(error.map(\.description) ?? "accepted")")
        #expect(error?.message.contains(parameter) == true, "\(error?.message ?? "")")
    }

    @Test func everyEndpointTakesSiteID() throws {
        for endpoint in StatsEndpoint.allCases where endpoint != .breakdown {
            _ = try parse(endpoint, "site_id=1")
        }
    }
}
