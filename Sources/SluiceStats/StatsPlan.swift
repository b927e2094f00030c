import SluiceCore

/// How a query is answered: which table it reads, and the statements to run.
///
/// From the rollups wherever one answers exactly (docs/stats.md, "Where answers come from"):
/// - no filter: `rollup_daily` (`rollup_hourly` for an hourly timeseries), or for a breakdown the broken-down
///   dimension's rows;
/// - filters all on one session dimension, `==` or `!=`: that dimension's rows whose value meets them (a visit
///   has exactly one value, so sums over values are exact and the sketches' union counts each person once);
/// - filters all on one event dimension: the same, as long as no visit measure is asked for, or the filter
///   is one `==` with one value (a visit holding two of the values would be counted twice);
/// - a breakdown filtered only on the dimension it breaks down by: that dimension's rows whose value meets
///   the filters (each row stands alone).
/// Everything else, and realtime, reads `analytics.sessions` and `analytics.events` of the range.
package struct StatsPlan: Sendable, Equatable {
    package enum Source: Sendable, Equatable {
        /// `rollup_daily` or `rollup_hourly`.
        case rollup
        /// A dimension's rows of `rollup_daily_dims` or `rollup_hourly_dims`.
        case dimensionRollup(StatsProperty)
        /// `analytics.sessions` and `analytics.events` of the range.
        case raw
        /// `analytics.events` of the last five minutes.
        case realtime
    }

    package let query: StatsQuery
    package let source: Source
    package let statement: StatsStatement
    /// For `conversion_rate`: an aggregate whose visitors the breakdown's visitors are a share of (the range
    /// with the query's filters, except those on `event`).
    package let denominator: StatsStatement?

    /// Plans `query` for project `projectID`; `now` is the server's clock, which narrows the partitions a
    /// realtime statement plans for (the database's clock still decides its five minutes).
    package init(_ query: StatsQuery, projectID: Int64, now: Timestamp = .now()) {
        self.query = query
        let source = Self.source(for: query)
        self.source = source
        switch source {
        case .rollup: statement = .rollup(query, projectID: projectID, dimension: nil)
        case .dimensionRollup(let dimension): statement = .rollup(query, projectID: projectID, dimension: dimension)
        case .raw: statement = .raw(query, projectID: projectID)
        case .realtime: statement = .realtimeVisitors(projectID: projectID, now: now)
        }
        if query.metrics.contains(.conversionRate) {
            let total = StatsQuery(
                endpoint: .aggregate, range: query.range, metrics: [.visitors],
                filters: query.filters.filter { $0.property != .event }
            )
            denominator = StatsPlan(total, projectID: projectID, now: now).statement
        } else {
            denominator = nil
        }
    }

    /// Which table answers `query`.
    package static func source(for query: StatsQuery) -> Source {
        if query.endpoint == .realtimeVisitors { return .realtime }
        let dimensions = Set(query.filters.map(\.property))
        if query.endpoint == .breakdown, let property = query.property {
            return dimensions.isSubset(of: [property]) ? .dimensionRollup(property) : .raw
        }
        guard let dimension = dimensions.first else { return .rollup }
        guard dimensions.count == 1 else { return .raw }
        if !dimension.isEventDimension { return .dimensionRollup(dimension) }
        let countsVisits = query.metrics.contains(where: \.countsVisits)
        let singleValue =
            query.filters.count == 1 && query.filters[0].operator == .is && query.filters[0].values.count == 1
        return !countsVisits || singleValue ? .dimensionRollup(dimension) : .raw
    }

    /// Plans a query for the raw path whatever its filters (for measuring it, and for checking the two
    /// paths against each other).
    package static func raw(_ query: StatsQuery, projectID: Int64) -> StatsStatement {
        .raw(query, projectID: projectID)
    }
}
