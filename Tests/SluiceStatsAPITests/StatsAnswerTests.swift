import Foundation
import SluiceCore
import SluicePostgres
import SluiceStats
import SluiceStatsAPI
import SluiceTestSupport
import Testing

/// Every endpoint and metric over real HTTP against answers computed from the events sent: traffic through
/// the real pipeline (HTTP, spool, COPY), the real jobs (`sluice jobs run`), then each answer compared with
/// ``StatsOracle``'s. Filtered queries are also run through the raw path directly, so both paths are
/// checked against the same independent answer.
@Suite(.serialized) struct StatsAnswerTests {
    static let metrics: [StatsMetric] = [
        .visitors, .visits, .pageviews, .events, .bounceRate, .visitDuration, .viewsPerVisit,
    ]
    static let metricList = metrics.map(\.name).joined(separator: ",")

    /// Percent-encodes a query value (everything but unreserved characters).
    static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(
            withAllowedCharacters: CharacterSet(
                charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? text
    }

    /// A filter as `filters=` writes it, with `\` before `;`, `|` and `\` in values.
    static func text(_ filters: [StatsFilter]) -> String {
        filters.map { filter in
            let values = filter.values.map { value in
                value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: ";", with: "\\;")
                    .replacingOccurrences(of: "|", with: "\\|")
            }
            return filter.property.name + filter.operator.rawValue + values.joined(separator: "|")
        }.joined(separator: ";")
    }

    /// Compares a metric of the API with the oracle's: visitors within the sketch's error (2 %, which at
    /// these sizes is exact), everything else exact.
    static func expectMetric(
        _ metric: StatsMetric, _ actual: Any?, _ expected: Double, _ what: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let number = (actual as? NSNumber)?.doubleValue else {
            Issue.record("\(what): \(metric.name) is \(String(describing: actual))", sourceLocation: sourceLocation)
            return
        }
        let tolerance = metric == .visitors ? (expected * 0.02).rounded(.down) : 1e-9
        #expect(
            abs(number - expected) <= tolerance, "\(what): \(metric.name) \(number), expected \(expected)",
            sourceLocation: sourceLocation)
    }

    @Test func everyEndpointAgreesWithTheEventsSent() async throws {
        let harness = try StatsHarness(label: "answers")
        let traffic = StatsTraffic(firstDay: CalendarDay.today().adding(days: -14))
        let oracle = StatsOracle(traffic.events)
        try #require(oracle.visits.count > 80, "the traffic is too small to say much")
        // Wider than the traffic on both sides, so that zero days are filled.
        let range = StatsRange(from: traffic.firstDay.adding(days: -1), to: traffic.lastDay.adding(days: 1))

        try await harness.withServer { server in
            try await server.send(traffic.events.map(\.json))
            try await server.waitUntilLoaded()
            try await harness.runJobs()

            // Aggregate: the whole range, and single days (the visit across midnight counts on its first).
            for days in [
                range, StatsRange(from: traffic.firstDay.adding(days: 3), to: traffic.firstDay.adding(days: 3)),
                StatsRange(from: traffic.firstDay.adding(days: 4), to: traffic.firstDay.adding(days: 5)),
            ] {
                try await expectAggregate(server, oracle, [], days)
            }

            // Timeseries: days and hours, zeros included.
            try await expectTimeseries(server, oracle, [], range, .day)
            try await expectTimeseries(
                server, oracle, [],
                StatsRange(from: traffic.firstDay.adding(days: 3), to: traffic.firstDay.adding(days: 4)),
                .hour
            )

            // Breakdowns by every property, cut at a small limit too.
            for property in StatsProperty.allCases {
                try await expectBreakdown(server, oracle, property, [], range, limit: 1000)
            }
            try await expectBreakdown(server, oracle, .page, [], range, limit: 3)
            try await expectBreakdown(server, oracle, .event, [], range, limit: 2, conversion: true)

            // One filter: from a dimension's rollup.
            let single: [[StatsFilter]] = [
                [StatsFilter(.country, .is, ["DE"])],
                [StatsFilter(.country, .isNot, ["DE", StatsProperty.none])],
                [StatsFilter(.referrer, .is, [StatsProperty.none])],
                [StatsFilter(.utmSource, .is, ["newsletter", "twitter"])],
                [StatsFilter(.entryPage, .is, ["/"])],
                [StatsFilter(.device, .is, ["mobile"])],
                [StatsFilter(.page, .is, ["/pricing"])],
                [StatsFilter(.page, .is, ["/a;b|c"])],
                [StatsFilter(.event, .is, ["Signup"])],
            ]
            for filters in single {
                try await expectAggregate(server, oracle, filters, range)
                try await expectTimeseries(server, oracle, filters, range, .day)
                try await expectRaw(harness, oracle, filters, range)
            }
            // An event dimension with several values or `!=`: from its rollup for event measures only.
            for filters in [[StatsFilter(.page, .is, ["/pricing", "/über"])], [StatsFilter(.page, .isNot, ["/"])]] {
                try await expectAggregate(server, oracle, filters, range, metrics: [.visitors, .pageviews, .events])
                try await expectAggregate(server, oracle, filters, range)
                try await expectRaw(harness, oracle, filters, range)
            }
            // A breakdown filtered on its own property: from that property's rollup.
            try await expectBreakdown(
                server, oracle, .page, [StatsFilter(.page, .isNot, ["/", "/docs"])], range, limit: 100)
            try await expectBreakdown(
                server, oracle, .country, [StatsFilter(.country, .is, ["DE", "US"])], range, limit: 100)
            try await expectBreakdown(
                server, oracle, .event, [StatsFilter(.event, .is, ["Signup", "Order Completed"])], range, limit: 100,
                conversion: true
            )

            // Combinations: the raw path.
            let combinations: [[StatsFilter]] = [
                [StatsFilter(.country, .is, ["DE"]), StatsFilter(.page, .is, ["/pricing"])],
                [StatsFilter(.utmSource, .isNot, ["newsletter"]), StatsFilter(.browser, .is, ["Firefox", "Chrome"])],
                [StatsFilter(.page, .is, ["/pricing"]), StatsFilter(.event, .is, ["Signup", "Order Completed"])],
                [StatsFilter(.page, .is, ["/pricing", "/docs"])],
                [StatsFilter(.event, .isNot, ["Signup"])],
            ]
            for filters in combinations {
                try await expectAggregate(server, oracle, filters, range)
                try await expectTimeseries(server, oracle, filters, range, .day)
            }
            try await expectBreakdown(server, oracle, .page, [StatsFilter(.country, .is, ["US"])], range, limit: 100)
            try await expectBreakdown(
                server, oracle, .country, [StatsFilter(.page, .is, ["/pricing"])], range, limit: 100)
            try await expectBreakdown(
                server, oracle, .event, [StatsFilter(.country, .is, ["DE", "FR"])], range, limit: 100, conversion: true
            )
            try await expectBreakdown(
                server, oracle, .exitPage, [StatsFilter(.event, .is, ["Order Completed"])], range, limit: 100
            )
        }
    }

    // MARK: - Comparisons

    func expectAggregate(
        _ server: StatsServer, _ oracle: StatsOracle, _ filters: [StatsFilter], _ range: StatsRange,
        metrics: [StatsMetric] = metrics, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let path =
            "aggregate?from=\(range.from)&to=\(range.to)&metrics=\(metrics.map(\.name).joined(separator: ","))"
            + (filters.isEmpty ? "" : "&filters=\(Self.encoded(Self.text(filters)))")
        let json = try #require(try await server.json(path) as? [String: Any])
        let results = try #require(json["results"] as? [String: Any])
        #expect(Set(results.keys) == Set(metrics.map(\.name)), "\(path)")
        let expected = oracle.measures(filters, range)
        for metric in metrics {
            Self.expectMetric(
                metric, (results[metric.name] as? [String: Any])?["value"], expected.value(metric), path,
                sourceLocation: sourceLocation
            )
        }
    }

    func expectTimeseries(
        _ server: StatsServer, _ oracle: StatsOracle, _ filters: [StatsFilter], _ range: StatsRange,
        _ interval: StatsInterval, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let path =
            "timeseries?from=\(range.from)&to=\(range.to)&interval=\(interval.rawValue)&metrics=\(Self.metricList)"
            + (filters.isEmpty ? "" : "&filters=\(Self.encoded(Self.text(filters)))")
        let json = try #require(try await server.json(path) as? [String: Any])
        let results = try #require(json["results"] as? [[String: Any]])
        let expected = oracle.timeseries(filters, range, interval)
        #expect(results.map { $0["date"] as? String } == expected.map(\.0), "\(path)", sourceLocation: sourceLocation)
        for (row, (label, measures)) in zip(results, expected) {
            for metric in Self.metrics {
                Self.expectMetric(
                    metric, row[metric.name], measures.value(metric), "\(path) \(label)", sourceLocation: sourceLocation
                )
            }
        }
    }

    func expectBreakdown(
        _ server: StatsServer, _ oracle: StatsOracle, _ property: StatsProperty, _ filters: [StatsFilter],
        _ range: StatsRange, limit: Int, conversion: Bool = false, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let metrics = Self.metrics + (conversion ? [.conversionRate] : [])
        let path =
            "breakdown?from=\(range.from)&to=\(range.to)&property=\(property.name)&limit=\(limit)"
            + "&metrics=\(metrics.map(\.name).joined(separator: ","))"
            + (filters.isEmpty ? "" : "&filters=\(Self.encoded(Self.text(filters)))")
        let json = try #require(try await server.json(path) as? [String: Any])
        let results = try #require(json["results"] as? [[String: Any]])
        let expected = Array(oracle.breakdown(property, filters, range).prefix(limit))
        #expect(
            results.map { $0[property.name] as? String } == expected.map(\.0), "\(path)", sourceLocation: sourceLocation
        )
        let total = oracle.measures(filters.filter { $0.property != .event }, range).visitors
        for (row, (value, measures)) in zip(results, expected) {
            for metric in metrics {
                Self.expectMetric(
                    metric, row[metric.name], measures.value(metric, totalVisitors: total), "\(path) \(value)",
                    sourceLocation: sourceLocation
                )
            }
        }
    }

    /// Runs the raw path's statement for the aggregate directly, whatever the plan would choose.
    func expectRaw(
        _ harness: StatsHarness, _ oracle: StatsOracle, _ filters: [StatsFilter], _ range: StatsRange,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let query = StatsQuery(endpoint: .aggregate, range: range, metrics: Self.metrics, filters: filters)
        let statement = StatsPlan.raw(query, projectID: harness.projectID)
        let rows = try StatsController.rows(statement, on: try harness.connection())
        let measures = rows.first?.measures ?? StatsMeasures()
        let expected = oracle.measures(filters, range)
        let actual = StatsOracle.Measures(
            visitors: Int(measures.visitors), pageviews: Int(measures.pageviews), events: Int(measures.events),
            visits: Int(measures.visits), bounces: Int(measures.bounces),
            durationMicroseconds: measures.durationMicroseconds, visitPageviews: Int(measures.visitPageviews)
        )
        #expect(actual == expected, "raw path, filters \(Self.text(filters))", sourceLocation: sourceLocation)
    }
}
