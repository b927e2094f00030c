// SluiceLoader: loads the spool into PostgreSQL with binary COPY, exactly once, with the spool position
// committed in the same transaction as the rows.

import Foundation
import Logging
import SluiceCore
import SluicePostgres
import SluiceSpool
import Synchronization

/// Loads one spool directory into `analytics.events`, exactly once across crashes, restarts and outages.
///
/// ## The protocol
/// Each step (``loadAvailable()``) reads the spool records that follow the committed checkpoint, up to
/// ``LoaderConfiguration/maxBatchRows`` rows or ``LoaderConfiguration/maxBatchBytes`` bytes, sends their
/// tuples as one binary `COPY`, and in the same transaction moves this node's row of
/// `sluice.spool_checkpoints` from the batch's start to its end. The rows and the checkpoint therefore
/// commit together or not at all:
/// - after a crash, a new loader resumes from the checkpoint it reads, so no row is loaded twice and none
///   is skipped;
/// - after any failure, including a `COMMIT` whose answer was lost (it may or may not have happened), the
///   loader forgets its in-memory position and re-reads the checkpoint before the next batch;
/// - the checkpoint update names the position the batch started from, so a second loader running with the
///   same node id (a misconfiguration) makes one of the two transactions change nothing and roll back
///   (``LoaderError/Code/checkpointMoved``) instead of loading the batch twice.
///
/// Only records the writer has made durable are read: the reader stops at ``LoaderConfiguration/durableEnd``,
/// the end of the last fsync, so a checkpoint never names data a power loss could take back. Segment files
/// wholly before the committed checkpoint are deleted after each commit; when the reader has moved past the
/// end of a finished segment without a record to load (the writer started a fresh one), the checkpoint moves
/// to the start of the next in a transaction of its own, so the finished segment can be deleted too. The
/// loader's session runs with `synchronous_commit = on`, because deleting spool segments is safe only once
/// the commit is durable.
///
/// ## The spool's identity
/// With ``LoaderConfiguration/spool`` set, every read of the checkpoint row also checks that it belongs to
/// this spool (``SpoolIdentity``): a row without an id is claimed, one naming another spool is refused
/// (``LoaderError/Code/spoolConflict``), and ``run()`` then stops loading and reports
/// ``LoaderHealth/refused(_:)`` until an operator resolves it. A checkpoint read for the first time after
/// the spool started without it (an outage start) is checked against the spool's first new record and moved
/// back to it if it is past it (``SpoolDirectory/verify(checkpoint:)``).
///
/// A batch PostgreSQL refuses because of its data (``PostgresError/isRowFailure(connectionOpen:)``) is
/// copied again in halves, each under a savepoint of the same transaction, down to single rows; each row
/// that still fails goes to `sluice.dead_letters` with its error, and the rest, the dead letters and the
/// checkpoint commit together. Before each `COPY`, the daily partitions the batch needs are created
/// (``DailyPartitions``); a refusal for want of a partition (23514) makes the loader look again once before
/// it splits the batch.
///
/// ## Holding back, and dropping duplicates
/// A server that started while PostgreSQL was unreachable accepted events against a dedupe window that did
/// not yet hold the ids already in the database. It ``hold()``s the loader from the start: while held, the
/// loader reads its checkpoint (so ``health`` reflects the database) but loads nothing. Once the window is
/// complete, ``release(dropping:)`` lets it go with a ``DuplicateFilter``: from the records before the
/// filter's end, the tuples found to be already stored are dropped before the `COPY`.
///
/// ## Threads
/// ``run()`` (or ``loadAvailable()`` and ``committedPosition()``, in tests and tools) runs on one thread at
/// a time: the database connection and the spool reader belong to that thread. ``health``, ``position``,
/// ``rowsLoaded``, ``wake()``, ``stop(drainUntil:)`` and ``waitUntilLoaded(_:timeout:)`` may be called from
/// any thread; they share only the small state behind one `NSCondition`, which also carries the wake-ups.
package final class SpoolLoader: @unchecked Sendable {
    package let configuration: LoaderConfiguration
    let logger: Logger
    let metrics = LoaderMetrics()

    // MARK: State of the loading thread (see "Threads" above)

    /// The connection, nil until the first use and after it broke.
    var connection: PostgresConnection?
    /// Reads from ``committed`` on; nil until the checkpoint is read, and after any failure.
    private var reader: SpoolReader?
    /// The checkpoint the reader resumed from or the last batch committed.
    private var committed = SpoolPosition.start
    /// A record read (and filtered) but left for the next batch because it did not fit, with the tuples the
    /// filter dropped from it.
    private var pending: (payload: [UInt8], end: SpoolPosition, dropped: Int)?
    /// Drops duplicates from the records before its end; nil when there is nothing to drop.
    private var filter: DuplicateFilter?
    /// Whether the current reader's jump past lost data (``SpoolReader/skipped``) has been logged.
    private var skipLogged = false
    /// The buffer the batches are gathered in, reused.
    private var storage: [UInt8] = []
    var partitions: DailyPartitions
    /// When PostgreSQL last answered.
    private var lastContact: ContinuousClock.Instant?
    /// How busy ``run()`` has been lately; published through ``publishedUtilization``.
    private var utilization = LoaderUtilization()
    /// ``utilization``'s value as the bits of a `Double`, for any thread to read without the lock.
    private let publishedUtilization = Atomic<UInt64>(0)

    // MARK: State shared between threads, guarded by `condition`

    private let condition = NSCondition()
    private var shared = Shared()

    private struct Shared {
        var health = LoaderHealth.starting
        var position = SpoolPosition.start
        var rowsLoaded: Int64 = 0
        var stopRequested = false
        /// With ``stopRequested``: keep loading until the spool is empty or this instant; nil stops at once.
        var drainDeadline: ContinuousClock.Instant?
        var wakeRequested = false
        /// While true, nothing is loaded (``hold()``).
        var held = false
        /// A filter handed over by ``release(dropping:)``, for the loading thread to take.
        var releasedFilter: DuplicateFilter?
    }

    /// A loader for `configuration`; nothing is opened until the first load.
    package init(configuration: LoaderConfiguration, logger: Logger) {
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "node_id"] = "\(configuration.nodeID)"
        self.logger = logger
        self.partitions = DailyPartitions(window: configuration.partitionWindow)
    }

    // MARK: - Observing, from any thread

    /// Whether the loader keeps up; `/readyz` answers 200 only for ``LoaderHealth/healthy``.
    package var health: LoaderHealth { readShared { $0.health } }

    /// The last checkpoint this loader committed or read: every record before it is in PostgreSQL.
    package var position: SpoolPosition { readShared { $0.position } }

    /// The rows loaded from this spool, ever, as the checkpoint row counts them (dead letters excluded).
    package var rowsLoaded: Int64 { readShared { $0.rowsLoaded } }

    /// The share of recent time ``run()`` spent loading rather than waiting for records (``LoaderUtilization``),
    /// from 0 to 1; also `sluice_loader_utilization` on `/metrics`.
    package var recentUtilization: Double { Double(bitPattern: publishedUtilization.load(ordering: .relaxed)) }

    /// Whether the loader has been saturated lately (``LoaderUtilization/saturated``): the scheduler's jobs
    /// then yield to it.
    package var isSaturated: Bool { recentUtilization >= LoaderUtilization.saturated }

    /// Ends a wait in ``run()`` for more records early; call it after appending to the spool.
    package func wake() {
        withShared { shared in
            shared.wakeRequested = true
        }
    }

    /// Stops loading until ``release(dropping:)``: the checkpoint is still read (and ``health`` kept), no
    /// record is copied. Call before ``run()`` starts, when records already in the spool may hold events
    /// that are in the database already and the ids to drop are not known yet.
    package func hold() {
        withShared { $0.held = true }
    }

    /// Ends a ``hold()`` (or sets a filter before ``run()``): loading resumes, and the records before
    /// `filter`'s end are loaded without the tuples it finds duplicate.
    package func release(dropping filter: DuplicateFilter?) {
        withShared { shared in
            shared.held = false
            shared.releasedFilter = filter
            shared.wakeRequested = true
        }
    }

    /// Asks ``run()`` to return.
    ///
    /// With a `deadline`, it first keeps loading until it finds the spool empty (everything written so far is
    /// committed) or the deadline passes, retrying through failures meanwhile; without one it returns after
    /// the batch in progress. A batch in progress always finishes or rolls back whole.
    package func stop(drainUntil deadline: ContinuousClock.Instant?) {
        withShared { shared in
            shared.stopRequested = true
            shared.drainDeadline = deadline
        }
    }

    /// Waits until the committed checkpoint is at or past `position` (a writer's position after an append).
    ///
    /// - Returns: true once it is, false when `timeout` passes first.
    @available(*, noasync, message: "blocks its thread: from async code, wait on a thread of its own")
    package func waitUntilLoaded(_ position: SpoolPosition, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        condition.lock()
        defer { condition.unlock() }
        while shared.position < position {
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return false }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.inSeconds))
        }
        return true
    }

    // MARK: - Loading, on the loading thread

    /// Reads this node's committed checkpoint, creating its row at ``SpoolPosition/start`` if there is none,
    /// and makes the next ``loadAvailable()`` resume from it.
    ///
    /// - Throws: `PostgresError` when PostgreSQL cannot be reached or the schema lacks the table;
    ///   ``LoaderError`` for a row that holds no valid position.
    package func committedPosition() throws -> SpoolPosition {
        do {
            let connection = try openConnection()
            let checkpoint = try readCheckpoint(connection)
            reader = nil
            pending = nil
            committed = checkpoint.position
            publish(position: checkpoint.position, rowsLoaded: checkpoint.rowsLoaded)
            return checkpoint.position
        } catch {
            forgetSession()
            throw error
        }
    }

    /// Loads one batch: the records after the checkpoint that are available now (up to the batch limits),
    /// copied with the checkpoint update in one transaction; then deletes the segments wholly before the
    /// new checkpoint.
    ///
    /// - Returns: what was committed; `records` is 0 when the spool had nothing new.
    /// - Throws: `PostgresError` when PostgreSQL cannot be reached or refuses the batch for a reason that is
    ///   not one row's (nothing of the batch is committed; call again, which resumes from the checkpoint);
    ///   `SpoolError` for a damaged spool; ``LoaderError``.
    package func loadAvailable() throws -> LoadReport {
        do {
            return try loadBatch()
        } catch {
            forgetSession()
            throw error
        }
    }

    /// Drops the in-memory position after a failure, so the next load re-reads the checkpoint: after a
    /// failed or unanswered `COMMIT` only the database knows whether the batch is in.
    private func forgetSession() {
        reader = nil
        pending = nil
        if let connection, !connection.isOpen {
            self.connection = nil
        }
    }

    private func loadBatch() throws -> LoadReport {
        let connection = try openConnection()
        let (held, released) = withShared { shared in
            defer { shared.releasedFilter = nil }
            return (shared.held, shared.releasedFilter)
        }
        if let released { filter = released }
        if held {
            let checkpoint = try readCheckpoint(connection)
            committed = checkpoint.position
            publish(position: checkpoint.position, rowsLoaded: checkpoint.rowsLoaded)
            return LoadReport(rows: 0, records: 0, deadLetters: 0, position: committed)
        }
        let reader: SpoolReader
        if let existing = self.reader {
            reader = existing
        } else {
            let checkpoint = try readCheckpoint(connection)
            committed = checkpoint.position
            reader = try SpoolReader(
                directory: configuration.spoolDirectory, from: checkpoint.position,
                maximumBatchBytes: configuration.maxRecordBytes, storage: configuration.spoolStorage
            )
            self.reader = reader
            skipLogged = false
            publish(position: checkpoint.position, rowsLoaded: checkpoint.rowsLoaded)
            logger.debug("resuming from the committed checkpoint", metadata: ["position": "\(checkpoint.position)"])
        }

        var batch = LoadBatch(start: committed, reusing: &storage)
        let dropped = try gather(into: &batch, from: reader, upTo: configuration.durableEnd())
        if let skipped = reader.skipped, !skipLogged {
            skipLogged = true
            logger.error(
                "the committed checkpoint is past the data its spool segment holds (a restored or damaged spool); loading goes on from the next segment",
                metadata: ["checkpoint": "\(skipped.from)", "resumeAt": "\(skipped.to)"]
            )
        }
        guard !batch.isEmpty else {
            storage = batch.takeStorage()
            if reader.position > committed {
                // Past the end of finished segments with nothing to load: move the checkpoint on its own, so
                // that the segments behind it can be deleted (on a small disk, the space a full one holds).
                try advanceCheckpoint(from: committed, to: reader.position, rows: 0, connection: connection)
                lastContact = ContinuousClock.now
                committed = reader.position
                publish(position: committed, addingRows: 0)
                deleteSegments(before: committed)
            }
            updateLag()
            return LoadReport(rows: 0, records: 0, deadLetters: 0, position: committed)
        }

        _ = try partitions.prepare(batch.days, connection: connection, logger: logger)
        batch.seal()
        let started = ContinuousClock.now
        let outcome = try commit(batch, connection: connection)
        metrics.latency.record(duration: ContinuousClock.now - started)
        lastContact = ContinuousClock.now

        committed = batch.end
        publish(position: batch.end, addingRows: outcome.rows)
        metrics.rows.increment(by: outcome.rows)
        metrics.batches.increment()
        if !outcome.deadLetters.isEmpty {
            metrics.deadLetters.increment(by: outcome.deadLetters.count)
        }
        if dropped > 0 {
            metrics.duplicatesDropped.increment(by: dropped)
            logger.info(
                "dropped events already stored from records accepted before the dedupe window was complete",
                metadata: ["dropped": "\(dropped)", "position": "\(batch.end)"]
            )
        }
        if let filter, batch.end >= filter.end {
            self.filter = nil
            logger.info(
                "loaded past the records accepted before the dedupe window was complete",
                metadata: ["position": "\(batch.end)", "until": "\(filter.end)"]
            )
        }
        deleteSegments(before: batch.end)
        updateLag()
        let report = LoadReport(
            rows: outcome.rows, records: batch.recordCount, deadLetters: outcome.deadLetters.count,
            position: batch.end, duplicatesDropped: dropped
        )
        storage = batch.takeStorage()
        return report
    }

    /// Adds records from `reader` (after the one left over from the last batch) until the batch is full or
    /// the spool has no more.
    ///
    /// A spool error after some records were added ends the batch instead of failing it, so the records in
    /// front of a damaged one still load; the next batch then starts at the damage and reports it.
    ///
    /// - Parameter limit: the durable end; no record past it is read.
    /// - Returns: the tuples the ``DuplicateFilter`` dropped from the records added.
    private func gather(into batch: inout LoadBatch, from reader: SpoolReader, upTo limit: SpoolPosition) throws
        -> Int
    {
        let maxRows = configuration.maxBatchRows
        let maxBytes = configuration.maxBatchBytes
        var dropped = 0
        while batch.rowCount < maxRows && batch.tupleBytes < maxBytes {
            let record: (payload: [UInt8], end: SpoolPosition, dropped: Int)
            if let pending {
                record = pending
                self.pending = nil
            } else {
                do {
                    guard let next = try reader.next(upTo: limit) else { return dropped }
                    if let filter, filter.applies(toRecordEndingAt: next.end) {
                        let (payload, count) = filter.filtered(next.payload)
                        record = (payload, next.end, count)
                    } else {
                        record = (next.payload, next.end, 0)
                    }
                } catch {
                    if batch.isEmpty { throw error }
                    logger.warning("stopping the batch at a spool error", metadata: ["error": "\(error)"])
                    return dropped
                }
            }
            guard batch.add(record.payload, end: record.end, maxRows: maxRows, maxBytes: maxBytes) else {
                pending = record
                return dropped
            }
            dropped += record.dropped
        }
        return dropped
    }

    /// Deletes the segment files wholly before the committed `checkpoint`; a failure is logged and retried
    /// after the next commit.
    private func deleteSegments(before checkpoint: SpoolPosition) {
        do {
            let deleted = try SpoolSegment.deleteSegments(
                in: configuration.spoolDirectory, before: checkpoint, storage: configuration.spoolStorage
            )
            if !deleted.isEmpty {
                logger.debug("deleted loaded spool segments", metadata: ["segments": "\(deleted.map(\.number))"])
            }
        } catch {
            logger.warning("could not delete loaded spool segments", metadata: ["error": "\(error)"])
        }
    }

    /// Sets `sluice_spool_lag_bytes`: the spool bytes at or after the checkpoint's segment, less the part of
    /// it already loaded.
    private func updateLag() {
        guard
            let total = try? SpoolSegment.totalBytes(
                in: configuration.spoolDirectory, storage: configuration.spoolStorage
            )
        else { return }
        metrics.lagBytes.record(total > committed.offset ? Int64(clamping: total - committed.offset) : 0)
    }

    // MARK: - The connection and the checkpoint row

    /// The open connection, connecting first if there is none.
    ///
    /// The session is named in `pg_stat_activity` and runs with `synchronous_commit = on`: the spool deletes
    /// a segment once the checkpoint past it committed, so that commit must be durable.
    ///
    /// A half-open connection must not stall the loader for hours, so both ends watch it: the client side
    /// through libpq's keepalive and `tcp_user_timeout` parameters (``PostgresConnection/defaultParameters``),
    /// the server side through the same settings for this session, so that a backend whose loader vanished
    /// ends and releases its locks; and a statement that runs longer than
    /// ``LoaderConfiguration/statementTimeout`` (a `COPY` stuck behind a lock) is cancelled and retried.
    func openConnection() throws -> PostgresConnection {
        if let connection, connection.isOpen { return connection }
        connection = nil
        let fresh = try PostgresConnection(configuration.connectionString)
        try fresh.query(
            """
            SELECT set_config('application_name', $1, false), set_config('synchronous_commit', 'on', false),
                   set_config('statement_timeout', $2, false), set_config('tcp_user_timeout', '30000', false),
                   set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false),
                   set_config('tcp_keepalives_count', '3', false)
            """,
            ["sluice loader \(configuration.nodeID)", "\(configuration.statementTimeout.timeoutMilliseconds)ms"]
        )
        connection = fresh
        lastContact = ContinuousClock.now
        return fresh
    }

    /// Reads this node's checkpoint row, inserting it at the start of the spool if it is missing; with a
    /// ``LoaderConfiguration/spool``, checks (or claims) the row's spool identity and applies
    /// ``SpoolDirectory/verify(checkpoint:)``.
    ///
    /// - Throws: ``LoaderError/Code/spoolConflict`` when the row belongs to another spool;
    ///   ``LoaderError/Code/invalidCheckpoint``; `PostgresError`; `SpoolError`.
    private func readCheckpoint(_ connection: PostgresConnection) throws -> (position: SpoolPosition, rowsLoaded: Int64)
    {
        let nodeID = configuration.nodeID
        let spool = configuration.spool
        try connection.query(
            "INSERT INTO sluice.spool_checkpoints (node_id, spool_id) VALUES ($1, $2) ON CONFLICT (node_id) DO NOTHING",
            [nodeID, spool?.identity.id]
        )
        let result = try connection.query(
            #"SELECT segment, "offset", rows_loaded, spool_id FROM sluice.spool_checkpoints WHERE node_id = $1"#,
            [nodeID]
        )
        lastContact = ContinuousClock.now
        guard result.rowCount == 1, let segment = try result.int(0, 0), let offset = try result.int(0, 1),
            let rows = try result.int(0, 2), segment >= 0, offset >= 0
        else {
            throw LoaderError(
                .invalidCheckpoint,
                "the row of node \(nodeID) in sluice.spool_checkpoints is missing or holds no spool position"
            )
        }
        var position = SpoolPosition(segment: UInt64(segment), offset: UInt64(offset))
        guard let spool else { return (position, Int64(rows)) }
        try checkIdentity(of: spool, rowSpoolID: result.string(0, 3), position: position, connection: connection)
        if case .moveBack(let first) = try spool.verify(checkpoint: position) {
            metrics.checkpointAhead.increment()
            logger.error(
                "the committed checkpoint is past records this spool wrote while the database was unreachable (the spool lost data behind the checkpoint before this start); moving the checkpoint back to the first of them so that none is skipped",
                metadata: ["checkpoint": "\(position)", "movedTo": "\(first)"]
            )
            try advanceCheckpoint(from: position, to: first, rows: 0, connection: connection)
            try spool.checkpointMovedBack()
            position = first
        }
        return (position, Int64(rows))
    }

    /// Checks that the checkpoint row belongs to `spool`, claiming a row that names no spool yet.
    ///
    /// A row without an id (written before spools had one) is claimed by an existing spool at any position,
    /// but by a spool created empty only at the start: an empty new spool under an advanced checkpoint is a
    /// wiped one, whose checkpoint would make the loader skip its records.
    ///
    /// - Throws: ``LoaderError/Code/spoolConflict``; `PostgresError`.
    private func checkIdentity(
        of spool: SpoolDirectory, rowSpoolID: String?, position: SpoolPosition, connection: PostgresConnection
    ) throws {
        let identity = spool.identity
        let nodeID = configuration.nodeID
        let remedy =
            "If that spool is gone for good, run 'sluice spool reset-checkpoint --node-id \(nodeID) "
            + "--confirm-spool-gone' and restart; if it is still in use, give this server its own --node-id"
        switch rowSpoolID {
        case identity.id?:
            return
        case let other?:
            throw LoaderError(
                .spoolConflict,
                "the checkpoint of node \(nodeID) belongs to spool \(other), not to the spool in \(spool.path) "
                    + "(spool \(identity.id)): that directory was wiped or replaced, or another spool uses the "
                    + "same node id. \(remedy)"
            )
        case nil:
            guard !identity.createdEmpty || position == .start else {
                throw LoaderError(
                    .spoolConflict,
                    "the checkpoint of node \(nodeID) is at \(position), but the spool in \(spool.path) (spool "
                        + "\(identity.id)) was created empty since: the old spool was wiped, and its checkpoint "
                        + "would skip the new one's records. \(remedy)"
                )
            }
            let claim = try connection.query(
                "UPDATE sluice.spool_checkpoints SET spool_id = $2 WHERE node_id = $1 AND spool_id IS NULL",
                [nodeID, identity.id]
            )
            guard claim.affectedRows == 1 else {
                throw LoaderError(.checkpointMoved, "the checkpoint row of node \(nodeID) was claimed meanwhile")
            }
            logger.info(
                "the checkpoint row now names this spool",
                metadata: ["spool": "\(identity.id)", "position": "\(position)"]
            )
        }
    }

    /// Checks that PostgreSQL still answers (when idle, for ``health``).
    private func ping() throws {
        try openConnection().execute("SELECT 1")
        lastContact = ContinuousClock.now
    }

    // MARK: - The loop

    /// Loads until ``stop(drainUntil:)``: ``loadAvailable()`` again and again, sleeping up to
    /// ``LoaderConfiguration/idleDelay`` whenever the spool is empty (``wake()`` ends the sleep early).
    ///
    /// Never gives up: after a failure it waits (``LoaderConfiguration/retryDelays``, doubling) and tries
    /// again on a new connection if the old one broke, resuming from the committed checkpoint. Meanwhile
    /// ``health`` says why: ``LoaderHealth/databaseUnavailable(_:)`` while PostgreSQL cannot be reached,
    /// ``LoaderHealth/failed(_:)`` for anything else. Runs on the calling thread and returns once stopped.
    package func run() {
        logger.info("loader started", metadata: ["spool": "\(configuration.spoolDirectory)"])
        var failures = 0
        while true {
            let (stopRequested, deadline) = readShared { ($0.stopRequested, $0.drainDeadline) }
            if stopRequested && !Self.isBefore(deadline) { break }
            do {
                let started = ContinuousClock.now
                let report = try loadAvailable()
                record(ContinuousClock.now - started, busy: report.records > 0)
                if failures > 0 {
                    logger.info(
                        "loading again", metadata: ["failed_attempts": "\(failures)", "position": "\(committed)"]
                    )
                    failures = 0
                }
                setHealth(.healthy)
                if report.records == 0 {
                    if stopRequested { break }  // Drained: everything written so far is committed.
                    if let lastContact, ContinuousClock.now - lastContact >= configuration.healthCheckInterval {
                        try ping()
                    }
                    let started = ContinuousClock.now
                    pause(for: configuration.idleDelay, wakeable: true)
                    record(ContinuousClock.now - started, busy: false)
                }
            } catch let conflict as LoaderError where conflict.code == .spoolConflict {
                setHealth(.refused(conflict.message))
                logger.error("not loading: \(conflict.message)")
                waitForStop()
                break
            } catch {
                failures += 1
                recordFailure(error, attempt: failures)
                let started = ContinuousClock.now
                pause(for: retryDelay(attempt: failures), wakeable: false)
                record(ContinuousClock.now - started, busy: false)
            }
        }
        reader = nil
        pending = nil
        connection = nil
        logger.info("loader stopped", metadata: ["position": "\(committed)"])
    }

    /// Adds a stretch of the loop to ``utilization`` and publishes it.
    private func record(_ duration: Duration, busy: Bool) {
        utilization.record(duration, busy: busy)
        publishedUtilization.store(utilization.value.bitPattern, ordering: .relaxed)
        metrics.utilization.record(utilization.value)
    }

    /// Sets ``health`` for a failure and logs it: at warning when the state or the message changes, at debug
    /// while the same failure repeats.
    private func recordFailure(_ error: any Error, attempt: Int) {
        let health: LoaderHealth
        if let failure = error as? PostgresError, failure.isUnavailable(connectionOpen: connection?.isOpen ?? false) {
            health = .databaseUnavailable(failure.description)
        } else if let failure = error as? LoaderError, failure.code == .checkpointMoved {
            logger.warning("\(failure)")
            return
        } else {
            health = .failed("\(error)")
        }
        let previous = withShared { shared in
            defer { shared.health = health }
            return shared.health
        }
        let metadata: Logger.Metadata = ["error": "\(error)", "attempt": "\(attempt)", "position": "\(committed)"]
        if previous != health {
            switch health {
            case .databaseUnavailable:
                logger.warning("PostgreSQL is unavailable; the spool keeps the events, retrying", metadata: metadata)
            default:
                logger.error("loading failed, retrying", metadata: metadata)
            }
        } else {
            logger.debug("loading failed again, retrying", metadata: metadata)
        }
    }

    /// The wait before retry `attempt` (1 for the first): the lower bound of the retry delays, doubling up to
    /// the upper bound, with ±20 % jitter so that many loaders do not reconnect in step.
    private func retryDelay(attempt: Int) -> Duration {
        let bounds = configuration.retryDelays
        var delay = bounds.lowerBound
        for _ in 1..<min(max(attempt, 1), 64) where delay < bounds.upperBound {
            delay *= 2
        }
        delay = min(delay, bounds.upperBound)
        return delay * Double.random(in: 0.8...1.2)
    }

    /// Sleeps for `duration` on the loop's thread.
    ///
    /// A ``stop(drainUntil:)`` ends the sleep at once, or at its deadline while draining through failures;
    /// with `wakeable`, so does a ``wake()``. Retry waits are not wakeable: the server wakes the loader on
    /// every append, which must not turn a backoff into a busy loop while PostgreSQL is down.
    private func pause(for duration: Duration, wakeable: Bool) {
        var until = ContinuousClock.now + duration
        condition.lock()
        defer { condition.unlock() }
        while true {
            if shared.stopRequested {
                guard !wakeable, let deadline = shared.drainDeadline else { return }
                until = min(until, deadline)
            }
            if wakeable && shared.wakeRequested {
                shared.wakeRequested = false
                return
            }
            let remaining = until - ContinuousClock.now
            guard remaining > .zero else { return }
            _ = condition.wait(until: Date(timeIntervalSinceNow: remaining.inSeconds))
        }
    }

    /// Sleeps until ``stop(drainUntil:)``, whatever its deadline: after a refusal nothing may be loaded.
    private func waitForStop() {
        condition.lock()
        defer { condition.unlock() }
        while !shared.stopRequested {
            condition.wait()
        }
    }

    /// Whether `deadline` is set and still ahead.
    private static func isBefore(_ deadline: ContinuousClock.Instant?) -> Bool {
        deadline.map { ContinuousClock.now < $0 } ?? false
    }

    // MARK: - Shared state

    /// Reads the shared state under the lock.
    private func readShared<T>(_ body: (Shared) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(shared)
    }

    /// Changes the shared state under the lock and wakes every thread waiting on it.
    private func withShared<T>(_ body: (inout Shared) -> T) -> T {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        return body(&shared)
    }

    private func setHealth(_ health: LoaderHealth) {
        withShared { $0.health = health }
    }

    /// Publishes a checkpoint read from the database; PostgreSQL answered, so the loader is healthy.
    private func publish(position: SpoolPosition, rowsLoaded: Int64) {
        withShared { shared in
            shared.position = position
            shared.rowsLoaded = rowsLoaded
            shared.health = .healthy
        }
    }

    /// Publishes a committed batch, together with the health it proves, so that a thread woken by
    /// ``waitUntilLoaded(_:timeout:)`` sees both.
    private func publish(position: SpoolPosition, addingRows rows: Int) {
        withShared { shared in
            shared.position = position
            shared.rowsLoaded += Int64(rows)
            shared.health = .healthy
        }
    }
}
