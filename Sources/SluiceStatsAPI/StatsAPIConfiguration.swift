/// The Stats API's settings (`sluice serve --stats-…`, `SLUICE_STATS_…`).
package struct StatsAPIConfiguration: Sendable {
    /// The database the queries read.
    package var connectionString: String
    /// Connections, each on a thread of its own, that run queries; at most this many run at once.
    package var poolSize = 4
    /// PostgreSQL's `statement_timeout` for every query: a query running longer is cancelled and answered
    /// 503 (`query_timeout`).
    package var statementTimeout: Duration = .seconds(10)
    /// Queries that may wait for a free connection; beyond, requests are answered 503 (`overloaded`) at once.
    package var maxQueued = 256
    /// After the database could not be reached, how long requests are answered 503 at once before the next
    /// connection attempt; also the `Retry-After` of those answers (whole seconds, at least 1).
    package var retryAfter: Duration = .seconds(2)

    package init(connectionString: String) {
        self.connectionString = connectionString
    }
}
