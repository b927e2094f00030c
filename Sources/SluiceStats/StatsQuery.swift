/// One Stats API request, validated: what to count, over which days, how to cut it.
package struct StatsQuery: Sendable, Equatable {
    package var endpoint: StatsEndpoint
    package var range: StatsRange
    /// In the order asked for, without repeats; at least one (`visitors` when none was asked for).
    package var metrics: [StatsMetric]
    /// All must hold.
    package var filters: [StatsFilter]
    /// The buckets of a timeseries; `.day` elsewhere.
    package var interval: StatsInterval
    /// What a breakdown groups by; nil elsewhere.
    package var property: StatsProperty?
    /// The most rows of a breakdown.
    package var limit: Int

    package static let defaultLimit = 100
    package static let limits = 1...10_000
    /// The range when neither `from` nor `to` is given: the 30 days ending today.
    package static let defaultDays = 30

    package init(
        endpoint: StatsEndpoint, range: StatsRange, metrics: [StatsMetric] = [.visitors], filters: [StatsFilter] = [],
        interval: StatsInterval = .day, property: StatsProperty? = nil, limit: Int = defaultLimit
    ) {
        self.endpoint = endpoint
        self.range = range
        self.metrics = metrics
        self.filters = filters
        self.interval = interval
        self.property = property
        self.limit = limit
    }
}
