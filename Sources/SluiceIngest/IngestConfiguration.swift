// SluiceIngest: `sluice serve`. Segment requests come in over HTTP, are decoded, enriched and encoded as
// binary COPY tuples on the event loops, cross a lock-free ring to the spool committer, which dedupes,
// appends and fsyncs them in groups before the requests are answered, and the loader copies the spool
// into PostgreSQL exactly once.

import SluiceCore
import SluiceEnrichment
import SluiceSegment
import SluiceSpool

/// When a request is answered 200.
package enum AckMode: String, Sendable, CaseIterable {
    /// After its events are in the spool and fsync'd: they survive `kill -9` and power loss.
    case durable
    /// After its events are in the ring: faster, but a crash loses what had not reached the spool yet.
    case memory
}

/// Everything `sluice serve` can be told; each field has an `SLUICE_…` variable and a flag.
package struct IngestConfiguration: Sendable {
    package var host = "127.0.0.1"
    package var port = 8080
    /// libpq connection string of the database the loader copies into.
    package var connectionString: String
    /// Directory of the spool's segment files; created if missing.
    package var spoolDirectory = ".sluice/spool"
    /// Identifies this server's spool in `sluice.spool_checkpoints`; one spool directory per node id.
    package var nodeID = "default"
    package var ack = AckMode.durable

    /// Segment's limits: event size, events per batch, messageId length, future tolerance.
    package var limits = SegmentLimits()
    /// The largest request body, compressed or inflated (Segment: 500 KB).
    package var maxRequestBytes = 500 * 1024
    /// The largest inflated/compressed ratio a compressed body may have; more is refused as a bomb.
    package var maxInflationRatio = 100

    /// Slots in the ring between the request handlers and the spool committer.
    package var ringCapacity = 4096
    /// How long a request waits for room in a full ring, or for spool room, before it is answered 503.
    package var backpressureWait: Duration = .milliseconds(250)
    /// The spool's disk budget: at or above it, requests are answered 503 until the loader catches up.
    package var spoolMaxBytes: Int64 = 4 << 30
    /// A spool segment file is rotated once it reaches this size.
    package var spoolSegmentBytes = 64 << 20
    /// The file system the spool directory is on: the real one, or a fault-injecting one in tests.
    package var spoolStorage: any SpoolStorage = PosixSpoolStorage()

    /// How long a messageId is remembered per project.
    package var dedupeWindow: Duration = .seconds(24 * 3600)
    /// The most messageIds remembered; the oldest are forgotten first when it is reached.
    package var dedupeCapacity = 5_000_000

    /// What is stored of the client's IP address.
    package var ipMode = IPMode.truncate
    /// A request header whose value is the client's country (e.g. `CF-IPCountry`), trusted when set.
    package var countryHeader: String?

    /// The days with their own partition (`SLUICE_BACKFILL_DAYS`, `SLUICE_PREMAKE_DAYS`): the decoder replaces
    /// an earlier event time by the receive time, the loader creates a missing day of it on demand, the dedupe
    /// rebuild scans all of it, and the partitions job keeps it. Stored in ``limits``, where the decoder reads it.
    package var partitionWindow: PartitionWindow {
        get { limits.partitionWindow }
        set { limits.partitionWindow = newValue }
    }

    /// Rows per COPY transaction at most.
    package var loadBatchRows = 50_000
    /// How long a graceful shutdown may take from its start: connections still open then are closed and the
    /// loader stops draining (see ``ShutdownDeadline``); the spool's last sync and a COPY in flight get
    /// ``shutdownGrace`` more, then the process stops waiting for them.
    package var shutdownDeadline: Duration = .seconds(30)
    /// The extra time the spool's final sync and the loader's last batch each get past ``shutdownDeadline``.
    package var shutdownGrace: Duration = .seconds(5)

    /// A keep-alive connection idle (between requests) for longer than this is closed.
    package var idleTimeout: Duration = .seconds(60)
    /// A request whose head and body have not all arrived this long after its first byte is cut off.
    package var readTimeout: Duration = .seconds(30)
    /// The most open HTTP connections; further ones wait in the listen backlog until one closes.
    package var maxConnections = 1024
    /// The most requests whose bodies are read, decoded and encoded at once; others wait up to
    /// ``backpressureWait`` and are answered 503.
    package var maxInflightRequests = 128

    package init(connectionString: String) {
        self.connectionString = connectionString
    }
}
