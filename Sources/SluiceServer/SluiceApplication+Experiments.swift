import SluiceExperimentsAPI
import SluiceStatsAPI

extension SluiceApplication {
    /// Adds the experiments' endpoints (`/v1/experiments/KEY/variant` and `…/results`) and their definition
    /// cache, whose refresh runs as a service beside the server. Write keys are looked up in the ingest side's
    /// project directory, so the variant endpoint takes the same keys as the Segment endpoints; the list and
    /// the results run on `pool`, the Stats API's query pool (``addStats(_:)`` returns it).
    /// - Returns: the cache, for tests.
    @discardableResult
    package mutating func addExperiments(connectionString: String, pool: StatsQueryPool) -> ExperimentDefinitionCache {
        let cache = ExperimentDefinitionCache(connectionString: connectionString, logger: logger)
        let controller = ExperimentsController(
            cache: cache,
            projectForWriteKey: { [projects = ingest.projects] in await projects.projectID(writeKey: $0) },
            pool: pool, logger: logger
        )
        add(routes: controller.addRoutes(to:), service: cache)
        return cache
    }
}
