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
import SluiceTracker

/// The ingest side of `sluice serve` assembled: the spool repaired, the dedupe window rebuilt, the committer and
/// loader ready; its routes and services go into the server's one HTTP application (SluiceServer).
///
/// Start-up order matters: the spool's torn tail is cut before anything reads it, the dedupe window is
/// rebuilt from the database *and* the spool before the first request, so an event re-sent after a crash is
/// recognised whether or not the loader had reached it.
///
/// When PostgreSQL cannot be reached, the server starts all the same, once it has run against that database
/// before: the projects' write keys come from the spool directory (``ProjectKeyCache``), the window from
/// every record in the spool, and ``DedupeRecovery`` completes the window and releases the loader when the
/// database returns (docs/architecture.md, "Starting during an outage").
package final class IngestServer: Sendable {
    package let configuration: IngestConfiguration
    package let committer: SpoolCommitter
    package let loader: SpoolLoader
    /// Write key → project, for the routes of other capabilities that take write keys too.
    package let projects: ProjectDirectory
    let enricher: Enricher
    let logger: Logger
    /// The one deadline of this server's graceful shutdown, shared by the request handlers (their waits for
    /// acknowledgements end there), the pipeline (the loader stops there) and the HTTP connections (those
    /// still open then are closed).
    package let shutdown: ShutdownDeadline
    /// The tracker, minified and gzipped once here; the server's application serves it at `GET /sluice.js`
    /// (SluiceServer).
    package let tracker: TrackerScript
    /// Completes the start once the database is back; nil when it was reachable at start.
    let recovery: DedupeRecovery?

    /// What start-up found, for the log and for tests.
    package struct StartReport: Sendable {
        package var recovery: SpoolRecovery.RecoveryReport
        /// The loader's checkpoint; nil when the database was unreachable.
        package var checkpoint: SpoolPosition?
        package var dedupeFromDatabase: Int
        package var dedupeFromSpool: Int
        /// Events already in the database that the spool still held unloaded (the loader drops them).
        package var dedupeInBoth: Int
        /// Whether the database was reachable (so the window was complete from the start).
        package var databaseReachable: Bool
    }
    package let startReport: StartReport

    /// Prepares everything but the HTTP listener. Blocking; call before serving.
    ///
    /// - Throws: when the spool directory cannot be created or repaired; when the database refuses (not
    ///   migrated, wrong credentials); or when it is unreachable and the spool directory holds no project
    ///   keys saved from it: the message says which.
    package init(configuration: IngestConfiguration, secret: [UInt8], logger: Logger) throws {
        IngestMetrics.bootstrap()
        self.tracker = try TrackerScript.bundled()
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
        loaderConfiguration.partitionWindow = configuration.partitionWindow
        let loader = SpoolLoader(configuration: loaderConfiguration, logger: logger)
        let projects = ProjectDirectory(
            connectionString: configuration.connectionString, cacheDirectory: directory, logger: logger
        )

        let report: StartReport
        let dedupe: DedupeWindow
        do {
            (dedupe, report) = try Self.startWithDatabase(
                configuration, loader: loader, projects: projects, recovery: recovery
            )
        } catch let error as PostgresError where Self.isOutage(error) {
            (dedupe, report) = try Self.startWithoutDatabase(
                configuration, loader: loader, projects: projects, recovery: recovery, cause: error, logger: logger
            )
        }
        logger.info(
            "dedupe window rebuilt",
            metadata: [
                "fromDatabase": "\(report.dedupeFromDatabase)", "fromSpool": "\(report.dedupeFromSpool)",
                "inBoth": "\(report.dedupeInBoth)", "checkpoint": "\(report.checkpoint.map { "\($0)" } ?? "unknown")",
                "spanSeconds": "\(dedupe.spanSeconds)", "complete": "\(report.databaseReachable)",
            ]
        )

        let writer = try SpoolWriter(directory: directory, segmentBytes: configuration.spoolSegmentBytes)
        let committer = SpoolCommitter(
            ring: BoundedQueue(capacity: configuration.ringCapacity), writer: writer, dedupe: dedupe,
            directory: directory, ack: configuration.ack, logger: logger,
            windowComplete: report.databaseReachable, onCommit: { [loader] in loader.wake() }
        )
        self.committer = committer
        self.recovery =
            report.databaseReachable
            ? nil
            : DedupeRecovery(
                connectionString: configuration.connectionString, window: configuration.dedupeWindow,
                capacity: configuration.dedupeCapacity, partitionWindow: configuration.partitionWindow,
                committer: committer, loader: loader, projects: projects, retryDelays: .seconds(1) ... .seconds(30),
                logger: logger
            )
        self.loader = loader
        self.projects = projects
        self.enricher = Enricher(ipMode: configuration.ipMode, secret: secret)
        self.startReport = report
    }

    /// Whether `error` means the database cannot be reached for now (down, starting, refusing connections),
    /// rather than that it refuses this server (a wrong password, an unknown database, a missing table).
    package static func isOutage(_ error: PostgresError) -> Bool {
        error.code == .connection ? error.isRetryableConnect : error.isTransient
    }

    /// The start with the database: the spool after the checkpoint, then the database's ids merged in; the
    /// ids found in both are events stored already, and the loader drops them from the spool's records.
    private static func startWithDatabase(
        _ configuration: IngestConfiguration, loader: SpoolLoader, projects: ProjectDirectory,
        recovery: SpoolRecovery.RecoveryReport
    ) throws -> (DedupeWindow, StartReport) {
        var dedupe = DedupeWindow(window: configuration.dedupeWindow, capacity: configuration.dedupeCapacity)
        let checkpoint = try loader.committedPosition()
        let (fromSpool, spoolEnd) = try DedupeRebuild.fromSpool(
            directory: configuration.spoolDirectory, after: checkpoint, into: &dedupe
        )
        let connection = try PostgresConnection.connect(configuration.connectionString, retry: .never)
        let (fromDatabase, present) = try DedupeRebuild.mergeDatabaseHalf(
            connection, into: &dedupe, partitionWindow: configuration.partitionWindow
        )
        try projects.load(connection)
        // Records of an earlier process that started during an outage may hold events stored meanwhile.
        loader.release(dropping: .dropping(present, before: spoolEnd))
        let report = StartReport(
            recovery: recovery, checkpoint: checkpoint, dedupeFromDatabase: fromDatabase, dedupeFromSpool: fromSpool,
            dedupeInBoth: present.count, databaseReachable: true
        )
        return (dedupe, report)
    }

    /// The start without the database: the saved project keys, every record in the spool (the checkpoint is
    /// unknown, so loaded ones too: a superset of what a re-send can duplicate), and the loader held until
    /// ``DedupeRecovery`` knows the database's ids.
    ///
    /// - Throws: ``IngestError`` (`databaseUnavailable`) when no project keys were saved from this database.
    private static func startWithoutDatabase(
        _ configuration: IngestConfiguration, loader: SpoolLoader, projects: ProjectDirectory,
        recovery: SpoolRecovery.RecoveryReport, cause: PostgresError, logger: Logger
    ) throws -> (DedupeWindow, StartReport) {
        let saved: ProjectKeyCache.Saved
        do {
            saved = try projects.loadSaved()
        } catch let error as IngestError {
            throw IngestError(error.code, "\(error.message) (\(cause.description))")
        }
        var dedupe = DedupeWindow(window: configuration.dedupeWindow, capacity: configuration.dedupeCapacity)
        let (fromSpool, _) = try DedupeRebuild.fromSpool(
            directory: configuration.spoolDirectory, after: .start, into: &dedupe
        )
        loader.hold()
        logger.warning(
            """
            PostgreSQL is unreachable; accepting events into the spool with the saved project keys. Until it is \
            back the dedupe window holds only the spool's ids, and the loader waits
            """,
            metadata: [
                "error": "\(cause)", "projects": "\(saved.projects.count)", "savedAt": "\(saved.savedAt)",
                "database": "\(saved.identity)",
            ]
        )
        let report = StartReport(
            recovery: recovery, checkpoint: nil, dedupeFromDatabase: 0, dedupeFromSpool: fromSpool, dedupeInBoth: 0,
            databaseReachable: false
        )
        return (dedupe, report)
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
    /// and COPY); and, after a start without the database, the ``DedupeRecovery`` that completes the start when
    /// it returns. Run them after the HTTP server has stopped taking requests (Hummingbird's service group stops
    /// its services in reverse order, the HTTP server first).
    package func services() -> [any Service] {
        let pipeline = IngestPipeline(
            committer: committer, loader: loader, shutdown: shutdown, grace: configuration.shutdownGrace, logger: logger
        )
        return [pipeline] + (recovery.map { [$0] } ?? [])
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
