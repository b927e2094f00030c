import Dispatch
import Foundation
import Logging
import Metrics
import SluiceCore
import SluiceRing
import SluiceSpool
import Synchronization

/// The single consumer of the ingest ring: dedupes submissions, appends them to the spool and fsyncs
/// once per group of requests before acknowledging them.
///
/// Group commit falls out of the loop: while one fsync runs, request handlers keep filling the ring, and
/// the next turn takes everything that arrived, so under load one fsync acknowledges hundreds of
/// requests, and at low load a lone request waits for just its own.
///
/// It runs on its own thread, not in Swift concurrency's pool: `write` and `fsync` block for
/// milliseconds and would otherwise stall the cooperative threads the HTTP handlers need.
///
/// Thread safety: ``submit(_:)``, ``spoolBytes``, ``failure`` and ``committedEnd`` may be called from any
/// thread. `writer`, `dedupe` and the payload buffers are touched only by the committer thread, between
/// ``start()`` and the end of ``stop()``; that confinement is why the class is `@unchecked Sendable`.
package final class SpoolCommitter: @unchecked Sendable {
    private let ring: BoundedQueue<SpoolSubmission>
    private let writer: SpoolWriter
    private var dedupe: DedupeWindow
    private let directory: String
    private let ack: AckMode
    private let logger: Logger
    private let onCommit: @Sendable () -> Void

    /// Lets a producer wake the committer when it sleeps on an empty ring.
    private let wakeup = DispatchSemaphore(value: 0)
    /// True while the committer is about to sleep or sleeping. Sequentially consistent on both sides:
    /// the committer stores true and then re-reads the ring; a producer enqueues and then reads the flag.
    /// With a total order, one of them sees the other, so a submission is never left waiting for the
    /// timeout. (Missing it would only cost latency; the sleep is bounded.)
    private let sleeping = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let spoolByteCount = Atomic<Int64>(0)
    private let state = Mutex<SharedState>(SharedState())

    private struct SharedState {
        var failure: String?
        var committedEnd = SpoolPosition.start
    }

    /// Bytes of payload gathered before it is cut into a spool record, even within one group.
    private static let recordTargetBytes = 4 << 20
    /// Submissions taken in one group at most, so a flood cannot postpone the fsync indefinitely.
    private static let maximumGroup = 4096
    /// With `--ack memory`, the longest unsynced stretch.
    private static let memorySyncInterval: Duration = .milliseconds(200)

    private let eventsStored = Counter(label: "sluice_events_spooled_total")
    private let duplicates = Counter(label: "sluice_duplicates_total")
    private let groupCommits = Counter(label: "sluice_spool_group_commits_total")
    private let syncTimer = Metrics.Timer(label: "sluice_spool_fsync_seconds")
    private let ringOccupancy = Gauge(label: "sluice_ring_occupancy")
    private let spoolBytesGauge = Gauge(label: "sluice_spool_bytes")
    private let dedupeEntries = Gauge(label: "sluice_dedupe_entries")
    private let dedupeEvictedEarly = Counter(label: "sluice_dedupe_evicted_early_total")
    private let dedupeSpan = Gauge(label: "sluice_dedupe_window_span_seconds")

    /// - Parameters:
    ///   - writer: the spool, repaired and opened; from now on used only by the committer thread.
    ///   - dedupe: the window, already holding the ids of events loaded or spooled before this start.
    ///   - onCommit: called on the committer thread after each durable group (the loader is woken there).
    package init(
        ring: BoundedQueue<SpoolSubmission>, writer: SpoolWriter, dedupe: DedupeWindow, directory: String,
        ack: AckMode, logger: Logger, onCommit: @escaping @Sendable () -> Void
    ) {
        self.ring = ring
        self.writer = writer
        self.dedupe = dedupe
        self.directory = directory
        self.ack = ack
        self.logger = logger
        self.onCommit = onCommit
        state.withLock { $0.committedEnd = writer.endPosition }
        spoolByteCount.store(Int64((try? SpoolSegment.totalBytes(in: directory)) ?? 0), ordering: .relaxed)
    }

    /// Starts the committer thread.
    package func start() {
        let thread = Thread { [self] in
            loop()
            finished.signal()
        }
        thread.name = "sluice-spool"
        thread.start()
    }

    /// Puts a submission in the ring; false when the ring is full (the caller waits or answers 503).
    package func submit(_ submission: SpoolSubmission) -> Bool {
        guard ring.enqueue(submission) else { return false }
        if sleeping.load(ordering: .sequentiallyConsistent),
            sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
        {
            wakeup.signal()
        }
        return true
    }

    /// Drains the ring into the spool, syncs, and stops the thread. Submissions made after this returns
    /// are failed rather than lost: the caller stops the HTTP server first.
    package func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        wakeup.signal()
        finished.wait()
    }

    /// Bytes in the spool's segment files, refreshed a few times a second.
    package var spoolBytes: Int64 { spoolByteCount.load(ordering: .relaxed) }

    /// Why the spool stopped taking events, if it did (a failed write or fsync); nil while healthy.
    package var failure: String? { state.withLock { $0.failure } }

    /// The spool position after the last durable group: once the loader has committed this position,
    /// every event acknowledged so far is in PostgreSQL.
    package var committedEnd: SpoolPosition { state.withLock { $0.committedEnd } }

    // MARK: - The committer thread

    private var payload: [UInt8] = []
    private var waiting: [(SpoolSubmission.Acknowledgement, SpoolReceipt)] = []
    private var unsyncedSince: ContinuousClock.Instant?
    private var lastSizeCheck = ContinuousClock.Instant.now
    private var evictionsReported = 0

    private func loop() {
        payload.reserveCapacity(Self.recordTargetBytes + (64 << 10))
        while true {
            var taken = 0
            while taken < Self.maximumGroup, let submission = ring.dequeue() {
                taken += 1
                take(submission)
            }
            if taken > 0 {
                commitGroup()
                continue
            }
            if unsyncedSince != nil { syncIfDue(force: stopRequested.load(ordering: .sequentiallyConsistent)) }
            refreshGauges()
            if stopRequested.load(ordering: .sequentiallyConsistent) {
                // A producer that enqueued before the HTTP server stopped is in the ring by now.
                if ring.approximateCount == 0 { break }
                continue
            }
            sleeping.store(true, ordering: .sequentiallyConsistent)
            if ring.approximateCount == 0 {
                _ = wakeup.wait(timeout: .now() + .milliseconds(ack == .memory ? 20 : 100))
            }
            sleeping.store(false, ordering: .sequentiallyConsistent)
        }
        syncIfDue(force: true)
        logger.info("spool committer stopped", metadata: ["end": "\(committedEnd)"])
    }

    private func take(_ submission: SpoolSubmission) {
        if let failure = self.failure {
            submission.acknowledgement?.resume(
                returning: .failure(IngestError(.spoolFailed, "the spool is not accepting events: \(failure)"))
            )
            return
        }
        var receipt = SpoolReceipt(stored: 0, duplicates: 0)
        var start = 0
        // One clock read per request: the window counts whole seconds.
        let now = Timestamp.now()
        submission.tuples.withUnsafeBufferPointer { tuples in
            for (end, key) in zip(submission.tupleEnds, submission.keys) {
                defer { start = end }
                guard dedupe.insert(key, at: now) else {
                    receipt.duplicates += 1
                    continue
                }
                payload.append(contentsOf: UnsafeBufferPointer(rebasing: tuples[start..<end]))
                receipt.stored += 1
            }
        }
        if receipt.duplicates > 0 { duplicates.increment(by: receipt.duplicates) }
        if receipt.stored > 0 { eventsStored.increment(by: receipt.stored) }
        if let promise = submission.acknowledgement { waiting.append((promise, receipt)) }
        if payload.count >= Self.recordTargetBytes { appendRecord() }
    }

    private func appendRecord() {
        guard !payload.isEmpty, failure == nil else { return }
        do {
            _ = try writer.append(payload)
            payload.removeAll(keepingCapacity: true)
            if unsyncedSince == nil { unsyncedSince = .now }
        } catch {
            fail(error)
        }
    }

    private func commitGroup() {
        appendRecord()
        switch ack {
        case .durable: syncIfDue(force: true)
        case .memory:
            flushForLoader()
            syncIfDue(force: false)
        }
        refreshGauges()
    }

    /// `--ack memory`: hand the bytes to the kernel so the loader can read them before the next fsync.
    private func flushForLoader() {
        guard failure == nil else { return }
        do {
            try writer.flush()
            publish()
        } catch {
            fail(error)
        }
    }

    private func syncIfDue(force: Bool) {
        guard failure == nil else {
            failWaiting()
            return
        }
        if !force, let since = unsyncedSince, ContinuousClock.now - since < Self.memorySyncInterval { return }
        appendRecord()
        if unsyncedSince != nil {
            let started = ContinuousClock.now
            do {
                try writer.sync()
            } catch {
                fail(error)
                return
            }
            syncTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            groupCommits.increment()
            unsyncedSince = nil
            publish()
        }
        for (acknowledgement, receipt) in waiting { acknowledgement.resume(returning: .success(receipt)) }
        waiting.removeAll(keepingCapacity: true)
    }

    private func publish() {
        let end = writer.endPosition
        state.withLock { $0.committedEnd = end }
        onCommit()
    }

    private func fail(_ error: any Error) {
        logger.critical("the spool failed; no more events are accepted until a restart", metadata: ["error": "\(error)"])
        state.withLock { $0.failure = "\(error)" }
        failWaiting()
    }

    private func failWaiting() {
        let message = failure ?? "unknown"
        for (acknowledgement, _) in waiting {
            acknowledgement.resume(
                returning: .failure(IngestError(.spoolFailed, "the spool is not accepting events: \(message)"))
            )
        }
        waiting.removeAll()
    }

    private func refreshGauges() {
        ringOccupancy.record(ring.approximateCount)
        dedupeEntries.record(dedupe.count)
        dedupeSpan.record(dedupe.spanSeconds)
        if dedupe.evictedEarly > evictionsReported {
            dedupeEvictedEarly.increment(by: dedupe.evictedEarly - evictionsReported)
            evictionsReported = dedupe.evictedEarly
        }
        let now = ContinuousClock.now
        guard now - lastSizeCheck >= .milliseconds(250) else { return }
        lastSizeCheck = now
        if let bytes = try? SpoolSegment.totalBytes(in: directory) {
            spoolByteCount.store(Int64(bytes), ordering: .relaxed)
            spoolBytesGauge.record(Int64(bytes))
        }
    }
}

extension Duration {
    /// The whole duration in nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
