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

/// The ingest side of `sluice serve` assembled: the spool repaired, the dedupe window rebuilt, the committer and
/// loader ready; its routes and services go into the server's one HTTP application (SluiceServer).
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
    /// The one deadline of this server's graceful shutdown, shared by the request handlers (their waits for
    /// acknowledgements end there), the pipeline (the loader stops there) and the HTTP connections (those
    /// still open then are closed).
    package let shutdown: ShutdownDeadline

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
        self.shutdown = ShutdownDeadline(allowance: configuration.shutdownDeadline)
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

    /// Adds the Segment endpoints and `GET /healthz`, `/readyz` and `/metrics` to `router`.
    package func addRoutes(to router: Router<IngestRequestContext>) {
        IngestController(
            configuration: configuration, committer: committer, projects: projects, enricher: enricher,
            shutdown: shutdown, logger: logger
        ).addRoutes(to: router)
        HealthController(committer: committer, loader: loader).addRoutes(to: router)
    }

    /// The services the ingest routes need running: the spool committer and the loader, as one service that
    /// drains them on graceful shutdown, until ``shutdown``'s deadline (plus `shutdownGrace` for the last sync
    /// and COPY). Run them after the HTTP server has stopped taking requests (Hummingbird's service group stops
    /// its services in reverse order, the HTTP server first).
    package func services() -> [any Service] {
        [
            IngestPipeline(
                committer: committer, loader: loader, shutdown: shutdown, grace: configuration.shutdownGrace,
                logger: logger
            )
        ]
    }

    /// The HTTP/1 settings of every connection the server takes, whatever route it asks for: closed when idle
    /// for `idleTimeout` (Hummingbird's idle timer), when a request takes longer than `readTimeout` to arrive,
    /// or when still open at ``shutdown``'s deadline (``ConnectionDeadlines``).
    package func httpChannelConfiguration() -> HTTP1Channel.Configuration {
        let readTimeout = TimeAmount(configuration.readTimeout)
        let (shutdown, logger) = (shutdown, logger)
        return HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionDeadlines(readTimeout: readTimeout, shutdown: shutdown, logger: logger)],
            idleTimeout: TimeAmount(configuration.idleTimeout)
        )
    }
}
