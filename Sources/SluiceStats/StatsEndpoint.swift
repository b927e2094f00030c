/// The endpoints of the Stats API, with the query parameters each takes.
package enum StatsEndpoint: String, Sendable, CaseIterable {
    case aggregate
    case timeseries
    case breakdown
    case realtimeVisitors = "realtime/visitors"

    /// The route, e.g. `/v1/stats/aggregate`.
    package var path: String { "/v1/stats/\(rawValue)" }

    /// Every query parameter the endpoint accepts; any other is answered 400.
    package var parameters: [String] {
        switch self {
        case .aggregate: ["site_id", "from", "to", "metrics", "filters"]
        case .timeseries: ["site_id", "from", "to", "metrics", "filters", "interval"]
        case .breakdown: ["site_id", "from", "to", "metrics", "filters", "property", "limit"]
        case .realtimeVisitors: ["site_id"]
        }
    }
}
