// SluiceServer: the one HTTP application of `sluice serve`, composed of route collections and services.

import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import SluiceDashboard
import SluiceIngest
import SluiceTracker

/// The request context every route of the server sees: Hummingbird's core context plus the peer's address
/// (which the ingest routes use as the client's IP address when an event carries none).
package typealias ServerRequestContext = IngestRequestContext

/// `sluice serve`'s HTTP application: one router holding every capability's route collection, and the
/// services that run beside the HTTP server.
///
/// The ingest side (the Segment endpoints with their CORS preflights, health and metrics, and the spool
/// pipeline), the tracker script (`GET /sluice.js`, which posts to those endpoints) and the dashboard page
/// (`GET /`, `GET /dashboard`, which reads the Stats and experiments APIs) are always there.
/// Adding a capability is adding its routes and, when it has one, its service:
/// ```swift
/// var composition = SluiceApplication(ingest: server, logger: logger)
/// composition.add(routes: ExperimentsController(...).addRoutes(to:), service: definitionCache)
/// ```
/// A route collection is anything that adds routes to a `Router<ServerRequestContext>`; collections written
/// generically over the context (`func addRoutes<Context: RequestContext>(to router: Router<Context>)`)
/// need nothing from this module.
package struct SluiceApplication {
    /// Adds one collection's routes to the server's router.
    package typealias AddRoutes = (Router<ServerRequestContext>) -> Void

    let ingest: IngestServer
    let logger: Logger
    /// The dashboard page, assembled once here; when its files are missing, its routes say so in words.
    let dashboard: Result<DashboardPage, DashboardError>
    /// Route collections, added in this order after the ingest routes.
    package private(set) var routes: [AddRoutes] = []
    /// Services started with the server, after the ingest pipeline; stopped in reverse order once the HTTP
    /// server has stopped taking requests.
    package private(set) var services: [any Service] = []

    package init(ingest: IngestServer, logger: Logger) {
        self.ingest = ingest
        self.logger = logger
        dashboard = Result { () throws(DashboardError) in try DashboardPage.bundled() }
        if case .failure(let error) = dashboard { logger.error("\(error.description)") }
    }

    /// Adds a route collection, and the service it needs running (a pool, a cache refresher), if any.
    package mutating func add(routes: @escaping AddRoutes, service: (any Service)? = nil) {
        self.routes.append(routes)
        if let service { services.append(service) }
    }

    /// Adds a service that has no routes of its own (the scheduler).
    package mutating func add(service: any Service) {
        services.append(service)
    }

    /// The router with every collection's routes: the ingest routes, the tracker and the dashboard first, then
    /// the others in the order added.
    package func router() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        ingest.addRoutes(to: router)
        TrackerRoutes(script: ingest.tracker).addRoutes(to: router)
        DashboardRoutes(page: dashboard).addRoutes(to: router)
        for add in routes { add(router) }
        return router
    }

    /// The HTTP application, listening on the ingest configuration's host and port.
    ///
    /// Hummingbird's service group stops its services in reverse order, the HTTP server first: in-flight
    /// requests finish and get their answers, then the other services stop, the ingest pipeline last (it
    /// drains what was accepted into the spool and on into PostgreSQL). One deadline (the ingest server's
    /// `shutdown`) bounds both: connections still open at it are closed, and the loader stops there.
    ///
    /// Connections, whatever route they ask for: at most `maxConnections` open (Hummingbird's
    /// `MaximumAvailableConnections`: the server stops accepting, so further ones wait in the kernel's listen
    /// backlog); each closed when idle for `idleTimeout` or when a request takes longer than `readTimeout` to
    /// arrive (`IngestServer.httpChannelConfiguration()`).
    package func application(
        onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let configuration = ingest.configuration
        let logger = logger
        logger.info(
            """
            HTTP connections: idle timeout \(configuration.idleTimeout.components.seconds) s, read timeout \
            \(configuration.readTimeout.components.seconds) s, at most \(configuration.maxConnections) open and \
            \(configuration.maxInflightRequests) requests in flight, shutdown deadline \
            \(configuration.shutdownDeadline.components.seconds) s
            """
        )
        return Application(
            router: router(),
            server: .http1(configuration: ingest.httpChannelConfiguration()),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sluice",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)
            ),
            services: ingest.services() + services,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
