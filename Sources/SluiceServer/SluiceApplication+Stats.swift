import Logging
import SluiceStatsAPI

extension SluiceApplication {
    /// Adds the Stats API (`/v1/stats/…`) and its query pool, which stops with the server.
    /// - Returns: the pool, for its settings and for tests.
    @discardableResult
    package mutating func addStats(_ configuration: StatsAPIConfiguration) -> StatsQueryPool {
        let pool = StatsQueryPool(configuration: configuration, logger: logger)
        add(routes: StatsController(pool: pool, logger: logger).addRoutes(to:), service: pool)
        return pool
    }
}
