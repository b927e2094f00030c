import SluiceCore
import SluiceSpool

/// What a ``SpoolLoader`` loads, from where, and how it paces itself.
package struct LoaderConfiguration: Sendable {
    /// The database to load into: a libpq conninfo string or a `postgres://` URL.
    package var connectionString: String
    /// The spool directory the server's `SpoolWriter` appends to.
    package var spoolDirectory: String
    /// The file system the spool lives on.
    package var spoolStorage: any SpoolStorage
    /// The spool as the server opened it, or nil for a spool no server holds (tools, tests). With it, the
    /// loader checks the spool's identity against the checkpoint row each time it reads the checkpoint
    /// (``LoaderError/Code/spoolConflict``), and asks it whether a checkpoint read after an outage start
    /// must move back (``SpoolDirectory/verify(checkpoint:)``).
    package var spool: SpoolDirectory?
    /// How far the spool may be loaded: the writer's durable end, read before each batch. A checkpoint
    /// must never pass what a power loss could take back. The default, ``SpoolPosition/end``, reads to the
    /// end of the files: right only for a spool no writer appends to.
    package var durableEnd: @Sendable () -> SpoolPosition
    /// Names this spool in `sluice.spool_checkpoints`. Each spool directory needs its own id, and one id
    /// must never be used for two directories: the checkpoint is a position inside one directory's segments.
    package var nodeID: String
    /// The most rows one `COPY` transaction carries; spool records are combined up to this (a record is
    /// never split, so a single larger record makes a larger transaction).
    package var maxBatchRows: Int
    /// The most tuple bytes one `COPY` transaction carries, with the same rule as ``maxBatchRows``.
    package var maxBatchBytes: Int
    /// The most bytes one spool record may decompress to (the reader's `maximumBatchBytes`).
    package var maxRecordBytes: Int
    /// The wait after a failure: the lower bound first, doubling up to the upper bound while failures go on.
    package var retryDelays: ClosedRange<Duration>
    /// How long ``SpoolLoader/run()`` sleeps when it has caught up, unless ``SpoolLoader/wake()`` comes first.
    package var idleDelay: Duration
    /// While idle, how often ``SpoolLoader/run()`` checks that PostgreSQL still answers, so that
    /// ``SpoolLoader/health`` reports an outage even when there is nothing to load.
    package var healthCheckInterval: Duration
    /// The days whose partitions the loader creates on demand when a batch needs one the partitions job has
    /// not made yet (the same window as the job's); rows of other days go to the default partition.
    package var partitionWindow: PartitionWindow
    /// The loader session's `statement_timeout`: a `COPY` or checkpoint update running longer (stuck behind a
    /// lock, or on a server that stopped answering) is cancelled, rolled back and retried.
    package var statementTimeout: Duration

    package init(
        connectionString: String,
        spoolDirectory: String,
        nodeID: String,
        maxBatchRows: Int = 50_000,
        maxBatchBytes: Int = 32 << 20,
        maxRecordBytes: Int = 64 << 20,
        retryDelays: ClosedRange<Duration> = .milliseconds(50) ... .seconds(5),
        idleDelay: Duration = .milliseconds(100),
        healthCheckInterval: Duration = .seconds(1),
        partitionWindow: PartitionWindow = .standard,
        statementTimeout: Duration = .seconds(120),
        spoolStorage: any SpoolStorage = PosixSpoolStorage()
    ) {
        self.connectionString = connectionString
        self.spoolDirectory = spoolDirectory
        self.spoolStorage = spoolStorage
        self.spool = nil
        self.durableEnd = { .end }
        self.nodeID = nodeID
        self.maxBatchRows = max(1, maxBatchRows)
        self.maxBatchBytes = max(1, maxBatchBytes)
        self.maxRecordBytes = max(1, maxRecordBytes)
        self.retryDelays = retryDelays
        self.idleDelay = idleDelay
        self.healthCheckInterval = healthCheckInterval
        self.partitionWindow = partitionWindow
        self.statementTimeout = statementTimeout
    }

    /// The configuration for the spool a server opened: its directory and storage, its identity checked
    /// against the checkpoint, and loading limited to its durable end.
    package init(connectionString: String, spool: SpoolDirectory, nodeID: String) {
        self.init(
            connectionString: connectionString, spoolDirectory: spool.path, nodeID: nodeID,
            spoolStorage: spool.storage
        )
        self.spool = spool
        self.durableEnd = { [durableEnd = spool.durableEnd] in durableEnd.position }
    }
}
