import Logging
import SluicePrivacyAPI
import SluiceStatsAPI

extension SluiceApplication {
    /// Adds the Stats API (`/v1/stats/…`) and its query pool, which stops with the server, and
    /// `POST /v1/privacy/forget`, which opens with the same read key and runs its erasure on the same pool.
    /// - Returns: the pool, for its settings and for tests.
    @discardableResult
    package mutating func addStats(_ configuration: StatsAPIConfiguration) -> StatsQueryPool {
        let pool = StatsQueryPool(configuration: configuration, logger: logger)
        add(routes: StatsController(pool: pool, logger: logger).addRoutes(to:), service: pool)
        add(routes: PrivacyController(pool: pool, logger: logger).addRoutes(to:))
        return pool
    }
}
