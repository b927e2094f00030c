import SluiceCore
import SluiceStats
import Testing

@Suite struct StatsResponseTests {
    let week = StatsRange(
        from: CalendarDay(year: 2026, month: 11, day: 1)!, to: CalendarDay(year: 2026, month: 11, day: 3)!)

    @Test func aggregateListsTheMetricsInTheOrderAskedFor() {
        let query = StatsQuery(
            endpoint: .aggregate, range: week, metrics: [.pageviews, .visitors, .bounceRate, .viewsPerVisit])
        let measures = StatsMeasures(visitors: 3, pageviews: 10, visits: 4, bounces: 1, visitPageviews: 10)
        #expect(
            StatsResponse.render(query, rows: [StatsRow(key: "", measures: measures)])
                == #"{"results":{"pageviews":{"value":10},"visitors":{"value":3},"bounce_rate":{"value":25},"#
                + #""views_per_visit":{"value":2.5}}}"#
        )
        #expect(
            StatsResponse.render(query, rows: [])
                == #"{"results":{"pageviews":{"value":0},"visitors":{"value":0},"bounce_rate":{"value":0},"#
                + #""views_per_visit":{"value":0}}}"#
        )
    }

    @Test func timeseriesFillsEveryDayWithZeros() {
        let query = StatsQuery(endpoint: .timeseries, range: week, metrics: [.visitors, .visits])
        let second = CalendarDay(year: 2026, month: 11, day: 2)!.unixDay
        let rows = [StatsRow(key: String(second), measures: StatsMeasures(visitors: 5, visits: 6))]
        #expect(
            StatsResponse.render(query, rows: rows)
                == #"{"results":[{"date":"2026-11-01","visitors":0,"visits":0},"#
                + #"{"date":"2026-11-02","visitors":5,"visits":6},"#
                + #"{"date":"2026-11-03","visitors":0,"visits":0}]}"#
        )
    }

    @Test func hourlyTimeseriesHasEveryHourOfEveryDay() throws {
        let query = StatsQuery(endpoint: .timeseries, range: week, metrics: [.pageviews], interval: .hour)
        let tenOClock = CalendarDay(year: 2026, month: 11, day: 3)!.unixDay * 24 + 10
        let text = StatsResponse.render(
            query, rows: [StatsRow(key: String(tenOClock), measures: StatsMeasures(pageviews: 2))])
        #expect(text.components(separatedBy: #"{"date":"#).count - 1 == 72)
        #expect(text.hasPrefix(#"{"results":[{"date":"2026-11-01T00:00:00Z","pageviews":0}"#))
        #expect(text.contains(#"{"date":"2026-11-03T10:00:00Z","pageviews":2}"#))
        #expect(text.hasSuffix(#"{"date":"2026-11-03T23:00:00Z","pageviews":0}]}"#))
    }

    @Test func breakdownNamesThePropertyAndEscapesValues() {
        let query = StatsQuery(
            endpoint: .breakdown, range: week, metrics: [.visitors, .conversionRate], property: .event
        )
        let rows = [
            StatsRow(key: #"Say "hi""#, measures: StatsMeasures(visitors: 2)),
            StatsRow(key: "(none)", measures: StatsMeasures(visitors: 1)),
        ]
        #expect(
            StatsResponse.render(query, rows: rows, totalVisitors: 8)
                == #"{"results":[{"event":"Say \"hi\"","visitors":2,"conversion_rate":25},"#
                + #"{"event":"(none)","visitors":1,"conversion_rate":12.5}]}"#
        )
    }

    @Test func realtimeAndErrors() {
        #expect(StatsResponse.realtime(visitors: 4) == #"{"visitors":4}"#)
        #expect(StatsResponse.error("limit: bad", parameter: "limit") == #"{"error":"limit: bad","parameter":"limit"}"#)
        #expect(StatsResponse.error("unknown read key") == #"{"error":"unknown read key"}"#)
    }
}
