// SluiceExperimentsAPI: the experiments' HTTP routes (the variant endpoint, answered from memory, and the
// results endpoint) and the cache of definitions they read, as a route collection any Hummingbird router takes.

import Logging
import Metrics
import NIOPosix
import ServiceLifecycle
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import Synchronization

/// Every project's experiment definitions in memory, for the variant endpoint: a request reads the cache and
/// never the database.
///
/// The cache reloads on an interval (``refreshInterval``, as a `Service` of the server), and when a request
/// names a key it does not hold, at most once per ``missRefreshInterval`` across all requests, so a created
/// experiment answers at once while a client asking for unknown keys cannot turn requests into queries. A
/// request that misses while a reload runs (the first one at start, say) waits for that reload. A
/// refresh first reads a fingerprint (the count and latest `updated_at`) and reads the definitions only when it
/// changed. When a refresh fails (the database is down) the last good definitions keep being served; the
/// failure is logged once until a refresh succeeds again.
///
/// Thread safety: any thread. The definitions sit behind a mutex held only to read or swap them; refreshes run
/// on NIO's blocking thread pool with a connection of their own, one at a time (`refreshLock`).
package final class ExperimentDefinitionCache: Service, Sendable {
    package static let defaultRefreshInterval: Duration = .seconds(5)
    package static let missRefreshInterval: Duration = .seconds(1)

    package struct Key: Hashable, Sendable {
        package var projectID: Int64
        package var key: String

        package init(projectID: Int64, key: String) {
            self.projectID = projectID
            self.key = key
        }
    }

    private struct State {
        var definitions: [Key: ExperimentDefinition] = [:]
        var fingerprint: String?
        var lastMissRefresh: ContinuousClock.Instant?
        /// The refresh running now, which every caller that wants one joins instead of starting another.
        var inFlight: Task<Void, Never>?
        /// Whether the last refresh failed (so the next failure is not logged again).
        var failing = false
    }

    private let connectionString: String
    package let refreshInterval: Duration
    private let logger: Logger
    private let state = Mutex(State())
    private let refreshLock = Mutex<Void>(())
    private let refreshes = Counter(label: "sluice_experiment_definitions_refreshes_total", dimensions: [("outcome", "ok")])
    private let failedRefreshes = Counter(
        label: "sluice_experiment_definitions_refreshes_total", dimensions: [("outcome", "failed")]
    )
    private let cached = Gauge(label: "sluice_experiment_definitions")

    package init(connectionString: String, refreshInterval: Duration = defaultRefreshInterval, logger: Logger) {
        self.connectionString = connectionString
        self.refreshInterval = refreshInterval
        self.logger = logger
    }

    /// The definition of `key`. When the cache does not hold it, waits for the refresh in flight, or starts one
    /// if none ran in the last ``missRefreshInterval``, and looks again; otherwise answers `nil` from memory.
    package func definition(projectID: Int64, key: String) async -> ExperimentDefinition? {
        let wanted = Key(projectID: projectID, key: key)
        let (found, refresh) = state.withLock { state -> (ExperimentDefinition?, Task<Void, Never>?) in
            if let found = state.definitions[wanted] { return (found, nil) }
            if let running = state.inFlight { return (nil, running) }
            if let last = state.lastMissRefresh, ContinuousClock.now - last < Self.missRefreshInterval {
                return (nil, nil)
            }
            state.lastMissRefresh = .now
            return (nil, startRefresh(&state))
        }
        if let found { return found }
        guard let refresh else { return nil }
        await refresh.value
        return state.withLock { $0.definitions[wanted] }
    }

    /// Refreshes now, or waits for the refresh already running.
    package func refreshNow() async {
        await state.withLock { state in state.inFlight ?? startRefresh(&state) }.value
    }

    /// Starts a refresh on NIO's blocking thread pool and records it as the one in flight, under the state's lock.
    private func startRefresh(_ state: inout State) -> Task<Void, Never> {
        let task = Task { [self] in
            _ = try? await NIOThreadPool.singleton.runIfActive { [self] in try refresh() }
            self.state.withLock { $0.inFlight = nil }
        }
        state.inFlight = task
        return task
    }

    /// How many definitions the cache holds.
    package var count: Int { state.withLock { $0.definitions.count } }

    /// Whether the last refresh failed (the definitions served are those of the last one that succeeded).
    package var isFailing: Bool { state.withLock { $0.failing } }

    /// Reloads from the database now (blocking; call off the event loops). Keeps the last good definitions when
    /// it fails.
    /// - Throws: the connection's or the store's error, after logging it.
    package func refresh() throws {
        try refreshLock.withLock { _ in
            do {
                let connection = try PostgresConnection.connect(connectionString, retry: .never)
                let fingerprint = try ExperimentStore.fingerprint(on: connection)
                if fingerprint != state.withLock({ $0.fingerprint }) {
                    var definitions: [Key: ExperimentDefinition] = [:]
                    for stored in try ExperimentStore.all(on: connection) {
                        definitions[Key(projectID: stored.projectID, key: stored.key)] = stored.definition
                    }
                    state.withLock {
                        $0.definitions = definitions
                        $0.fingerprint = fingerprint
                    }
                    cached.record(definitions.count)
                }
                refreshes.increment()
                let recovered = state.withLock { state in
                    defer { state.failing = false }
                    return state.failing
                }
                if recovered { logger.info("experiment definitions reloaded; the database is back") }
            } catch {
                failedRefreshes.increment()
                let first = state.withLock { state in
                    defer { state.failing = true }
                    return !state.failing
                }
                if first {
                    logger.warning(
                        "cannot reload the experiment definitions; serving the last ones loaded",
                        metadata: ["error": "\(error)", "definitions": "\(count)"]
                    )
                }
                throw error
            }
        }
    }

    /// Refreshes at once, then every ``refreshInterval``, until the server shuts down.
    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refreshNow()
                try? await Task.sleep(for: self.refreshInterval)
            }
        }
    }
}
