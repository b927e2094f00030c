import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import SluiceCore
import SluiceEnrichment
import SluiceLoader
import SluicePostgres
import SluiceRing
import SluiceSpool
import SluiceStore

/// `sluice serve` assembled: the spool repaired, the dedupe window rebuilt, the committer and loader ready,
/// and the HTTP application that runs them as services.
///
/// Start-up order matters: the spool's torn tail is cut before anything reads it, the dedupe window is
/// rebuilt from the database *and* the unloaded spool before the first request, so an event re-sent after a
/// crash is recognised whether or not the loader had reached it.
package final class IngestServer: Sendable {
    package let configuration: IngestConfiguration
    package let committer: SpoolCommitter
    package let loader: SpoolLoader
    let projects: ProjectDirectory
    let enricher: Enricher
    let logger: Logger

    /// What start-up found, for the log and for tests.
    package struct StartReport: Sendable {
        package var recovery: SpoolRecovery.RecoveryReport
        package var checkpoint: SpoolPosition
        package var dedupeFromDatabase: Int
        package var dedupeFromSpool: Int
    }
    package let startReport: StartReport

    /// Prepares everything but the HTTP listener. Blocking; call before serving.
    ///
    /// - Throws: when the spool directory cannot be created or repaired, or the database is unreachable
    ///   or not migrated: the message says which.
    package init(configuration: IngestConfiguration, secret: [UInt8], logger: Logger) throws {
        IngestMetrics.bootstrap()
        self.configuration = configuration
        self.logger = logger
        let directory = configuration.spoolDirectory
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw IngestError(.spoolFailed, "cannot create the spool directory \(directory): \(error.localizedDescription)")
        }
        let recovery = try SpoolRecovery.repair(directory: directory)
        if recovery.didTruncate {
            logger.warning(
                "the spool ended in a torn record (a crash mid-write); cut it back to the last intact record",
                metadata: [
                    "segment": "\(recovery.segment.map { String($0.number) } ?? "-")",
                    "keptBytes": "\(recovery.validBytes)", "cutBytes": "\(recovery.truncatedBytes)",
                ]
            )
        }

        var loaderConfiguration = LoaderConfiguration(
            connectionString: configuration.connectionString, spoolDirectory: directory, nodeID: configuration.nodeID
        )
        loaderConfiguration.maxBatchRows = configuration.loadBatchRows
        let loader = SpoolLoader(configuration: loaderConfiguration, logger: logger)
        let checkpoint = try loader.committedPosition()

        var dedupe = DedupeWindow(window: configuration.dedupeWindow, capacity: configuration.dedupeCapacity)
        let connection = try PostgresConnection.connect(configuration.connectionString, retry: .never)
        let fromDatabase = try DedupeRebuild.fromDatabase(connection, into: &dedupe)
        let fromSpool = try DedupeRebuild.fromSpool(directory: directory, after: checkpoint, into: &dedupe)
        logger.info(
            "dedupe window rebuilt",
            metadata: ["fromDatabase": "\(fromDatabase)", "fromSpool": "\(fromSpool)", "checkpoint": "\(checkpoint)"]
        )

        let projects = ProjectDirectory(connectionString: configuration.connectionString, logger: logger)
        try projects.load()

        let writer = try SpoolWriter(directory: directory, segmentBytes: configuration.spoolSegmentBytes)
        self.committer = SpoolCommitter(
            ring: BoundedQueue(capacity: configuration.ringCapacity), writer: writer, dedupe: dedupe,
            directory: directory, ack: configuration.ack, logger: logger, onCommit: { [loader] in loader.wake() }
        )
        self.loader = loader
        self.projects = projects
        self.enricher = Enricher(ipMode: configuration.ipMode, secret: secret)
        self.startReport = StartReport(
            recovery: recovery, checkpoint: checkpoint, dedupeFromDatabase: fromDatabase, dedupeFromSpool: fromSpool
        )
    }

    /// The HTTP application with the pipeline (and, unless nil, the scheduled jobs) as its services.
    ///
    /// Hummingbird's service group stops its services in reverse order, the HTTP server first: in-flight
    /// requests finish and get their answers, then the pipeline drains. One ``ShutdownDeadline`` bounds both:
    /// connections still open at it are closed (``ConnectionDeadlines``), and the loader stops there.
    ///
    /// Connections: at most `maxConnections` open (Hummingbird's `MaximumAvailableConnections`: the server stops
    /// accepting, so further ones wait in the kernel's listen backlog); each closed when idle for `idleTimeout`
    /// (Hummingbird's idle timer) or when a request takes longer than `readTimeout` to arrive.
    package func application(
        jobs: [any Service] = [], onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: IngestRequestContext.self)
        let shutdown = ShutdownDeadline(allowance: configuration.shutdownDeadline)
        IngestController(
            configuration: configuration, committer: committer, projects: projects, enricher: enricher,
            shutdown: shutdown, logger: logger
        ).addRoutes(to: router)
        HealthController(committer: committer, loader: loader).addRoutes(to: router)
        let pipeline = IngestPipeline(
            committer: committer, loader: loader, shutdown: shutdown, grace: configuration.shutdownGrace, logger: logger
        )
        let readTimeout = TimeAmount(configuration.readTimeout)
        let logger = logger
        logger.info(
            """
            HTTP connections: idle timeout \(configuration.idleTimeout.components.seconds) s, read timeout \
            \(configuration.readTimeout.components.seconds) s, at most \(configuration.maxConnections) open and \
            \(configuration.maxInflightRequests) requests in flight, shutdown deadline \
            \(configuration.shutdownDeadline.components.seconds) s
            """
        )
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDeadlines(readTimeout: readTimeout, shutdown: shutdown, logger: logger)],
            idleTimeout: TimeAmount(configuration.idleTimeout)
        )
        return Application(
            router: router,
            server: .http1(configuration: http),
            configuration: .init(
                address: .hostname(configuration.host, port: configuration.port), serverName: "sluice",
                availableConnectionsDelegate: MaximumAvailableConnections(configuration.maxConnections, logger: logger)
            ),
            services: [pipeline] + jobs,
            onServerRunning: onServerRunning,
            logger: logger
        )
    }
}
