import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
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

/// The ingest side of `sluice serve` assembled: the spool locked and repaired, the dedupe window rebuilt, the
/// committer and loader ready; its routes and services go into the server's one HTTP application (SluiceServer).
///
/// Start-up order matters: the spool directory is locked before anything touches it, its torn tail is cut
/// and its contents fsync'd before anything reads it (``SpoolDirectory/open(_:storage:)``), the checkpoint
/// is read (and the spool's identity checked against it) before the writer opens, so that new records land
/// after it, and the dedupe window is rebuilt from the database *and* the spool before the first request,
/// so an event re-sent after a crash is recognised whether or not the loader had reached it. The spool half
/// of the window is read up to the durable end, like the loader.
///
/// When PostgreSQL cannot be reached, the server starts all the same, once it has run against that database
/// before: the spool is locked and opened first as always, the projects' write keys come from the spool
/// directory (``ProjectKeyCache``), the writer records where this run's records begin (the checkpoint is
/// unknown; ``SpoolDirectory/openWriter(segmentBytes:level:after:)``), the window comes from every record in
/// the spool, and ``DedupeRecovery`` completes the window and releases the loader when the database returns;
/// the loader then checks the spool's identity against the checkpoint before it loads anything
/// (docs/architecture.md, "Starting during an outage").
package final class IngestServer: Sendable {
    package let configuration: IngestConfiguration
    package let spool: SpoolDirectory
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
        /// Set when the checkpoint was past the end of the spool, and new records start after it instead.
        package var checkpointGap: SpoolDirectory.CheckpointGap?
    }
    package let startReport: StartReport

    private static let checkpointAhead = Counter(label: "sluice_spool_checkpoint_ahead_total")

    /// Prepares everything but the HTTP listener. Blocking; call before serving.
    ///
    /// - Parameter spool: the spool directory, already opened (and locked) by the caller, or nil to open
    ///   ``IngestConfiguration/spoolDirectory`` here.
    /// - Throws: when the spool directory is in use by another process or cannot be created or repaired; when
    ///   the checkpoint belongs to another spool; when the database refuses (not migrated, wrong credentials);
    ///   or when it is unreachable and the spool directory holds no project keys saved from it: the message
    ///   says which.
    package init(configuration: IngestConfiguration, spool: SpoolDirectory? = nil, secret: [UInt8], logger: Logger)
        throws
    {
        IngestMetrics.bootstrap()
        self.tracker = try TrackerScript.bundled()
        self.configuration = configuration
        self.logger = logger
        self.shutdown = ShutdownDeadline(allowance: configuration.shutdownDeadline)
        let spool = try spool ?? SpoolDirectory.open(configuration.spoolDirectory, storage: configuration.spoolStorage)
        let directory = spool.path
        let recovery = spool.recovery
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
            connectionString: configuration.connectionString, spool: spool, nodeID: configuration.nodeID
        )
        loaderConfiguration.maxBatchRows = configuration.loadBatchRows
        loaderConfiguration.partitionWindow = configuration.partitionWindow
        let loader = SpoolLoader(configuration: loaderConfiguration, logger: logger)
        let projects = ProjectDirectory(
            connectionString: configuration.connectionString, cacheDirectory: directory, storage: spool.storage,
            logger: logger
        )

        // The checkpoint, with the spool's identity checked against it, before the writer opens; in an outage
        // the saved keys are read before the writer records anything, so a start that cannot serve leaves the
        // spool as it found it.
        var outage: PostgresError?
        let checkpoint: SpoolPosition?
        do {
            checkpoint = try loader.committedPosition()
        } catch let error as PostgresError where Self.isOutage(error) {
            checkpoint = nil
            outage = error
        }
        var saved: ProjectKeyCache.Saved?
        if let outage { saved = try Self.loadSaved(projects, cause: outage) }

        let (writer, gap) = try spool.openWriter(segmentBytes: configuration.spoolSegmentBytes, after: checkpoint)
        if let gap {
            Self.checkpointAhead.increment()
            logger.error(
                "\(gap); new records start after it, and loading moves past the missing data",
                metadata: ["checkpoint": "\(gap.checkpoint)", "appendsFrom": "\(gap.appendsFrom)"]
            )
        }

        var report: StartReport
        let dedupe: DedupeWindow
        if let checkpoint {
            do {
                (dedupe, report) = try Self.startWithDatabase(
                    configuration, spool: spool, checkpoint: checkpoint, loader: loader, projects: projects,
                    recovery: recovery
                )
            } catch let error as PostgresError where Self.isOutage(error) {
                // Gone between the checkpoint and the window: start as in an outage, the checkpoint known.
                let keys = try Self.loadSaved(projects, cause: error)
                (dedupe, report) = try Self.startWithoutDatabase(
                    configuration, spool: spool, checkpoint: checkpoint, loader: loader, saved: keys,
                    recovery: recovery, cause: error, logger: logger
                )
            }
        } else if let saved, let outage {
            (dedupe, report) = try Self.startWithoutDatabase(
                configuration, spool: spool, checkpoint: nil, loader: loader, saved: saved, recovery: recovery,
                cause: outage, logger: logger
            )
        } else {
            preconditionFailure("no checkpoint, and no outage either")
        }
        report.checkpointGap = gap
        logger.info(
            "dedupe window rebuilt",
            metadata: [
                "fromDatabase": "\(report.dedupeFromDatabase)", "fromSpool": "\(report.dedupeFromSpool)",
                "inBoth": "\(report.dedupeInBoth)", "checkpoint": "\(report.checkpoint.map { "\($0)" } ?? "unknown")",
                "spanSeconds": "\(dedupe.spanSeconds)", "complete": "\(report.databaseReachable)",
            ]
        )

        let committer = SpoolCommitter(
            ring: BoundedQueue(capacity: configuration.ringCapacity), writer: writer, dedupe: dedupe,
            directory: directory, storage: spool.storage, ack: configuration.ack, logger: logger,
            windowComplete: report.databaseReachable, onCommit: { [loader] in loader.wake() }
        )
        self.spool = spool
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

    /// The project keys saved by an earlier run, for a start while the database is unreachable.
    ///
    /// - Throws: ``IngestError`` (`databaseUnavailable`) when none were saved from this database, naming `cause`.
    private static func loadSaved(_ projects: ProjectDirectory, cause: PostgresError) throws -> ProjectKeyCache.Saved {
        do {
            return try projects.loadSaved()
        } catch let error as IngestError {
            throw IngestError(error.code, "\(error.message) (\(cause.description))")
        }
    }

    /// The start with the database: the spool after the checkpoint up to its durable end, then the database's
    /// ids merged in; the ids found in both are events stored already, and the loader drops them from the
    /// spool's records.
    private static func startWithDatabase(
        _ configuration: IngestConfiguration, spool: SpoolDirectory, checkpoint: SpoolPosition, loader: SpoolLoader,
        projects: ProjectDirectory, recovery: SpoolRecovery.RecoveryReport
    ) throws -> (DedupeWindow, StartReport) {
        var dedupe = DedupeWindow(window: configuration.dedupeWindow, capacity: configuration.dedupeCapacity)
        let (fromSpool, spoolEnd) = try DedupeRebuild.fromSpool(
            directory: spool.path, storage: spool.storage, after: checkpoint, upTo: spool.durableEnd.position,
            into: &dedupe
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

    /// The start without the database: the saved project keys, every record in the spool up to its durable end
    /// (the checkpoint may be unknown, so loaded ones too: a superset of what a re-send can duplicate), and the
    /// loader held until ``DedupeRecovery`` knows the database's ids.
    private static func startWithoutDatabase(
        _ configuration: IngestConfiguration, spool: SpoolDirectory, checkpoint: SpoolPosition?, loader: SpoolLoader,
        saved: ProjectKeyCache.Saved, recovery: SpoolRecovery.RecoveryReport, cause: PostgresError, logger: Logger
    ) throws -> (DedupeWindow, StartReport) {
        var dedupe = DedupeWindow(window: configuration.dedupeWindow, capacity: configuration.dedupeCapacity)
        let (fromSpool, _) = try DedupeRebuild.fromSpool(
            directory: spool.path, storage: spool.storage, after: .start, upTo: spool.durableEnd.position,
            into: &dedupe
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
            recovery: recovery, checkpoint: checkpoint, dedupeFromDatabase: 0, dedupeFromSpool: fromSpool,
            dedupeInBoth: 0, databaseReachable: false
        )
        return (dedupe, report)
    }

    /// Adds the Segment endpoints and `GET /healthz`, `/readyz` and `/metrics` to `router`.
    package func addRoutes(to router: Router<IngestRequestContext>) {
        IngestController(
            configuration: configuration, committer: committer, projects: projects, enricher: enricher,
            shutdown: shutdown, logger: logger
        ).addRoutes(to: router)
        HealthController(committer: committer, loader: loader, spoolMaxBytes: configuration.spoolMaxBytes)
            .addRoutes(to: router)
    }

    /// The services the ingest routes need running: the spool committer and the loader, as one service that
    /// drains them on graceful shutdown, until ``shutdown``'s deadline (plus `shutdownGrace` for the last sync
    /// and COPY); and, after a start without the database, the ``DedupeRecovery`` that completes the start when
    /// it returns. Run them after the HTTP server has stopped taking requests (Hummingbird's service group stops
    /// its services in reverse order, the HTTP server first).
    package func services() -> [any Service] {
        let pipeline = IngestPipeline(
            committer: committer, loader: loader, spool: spool, shutdown: shutdown, grace: configuration.shutdownGrace,
            logger: logger
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
