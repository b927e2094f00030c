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
/// ## The durable end
/// Each successful fsync publishes the spool position it made durable (``committedEnd``, the writer's
/// ``SpoolDurableEnd``), and only then wakes the loader, which loads up to it and never further: with
/// `--ack memory` too, where records reach the file before their fsync.
///
/// ## Failed writes
/// A failed `write` or `fsync` (a full disk, `EIO`) fails every request waiting for the group with 503
/// and `Retry-After`: nothing is acknowledged that is not durable. Their ids leave the dedupe window, so a
/// client's retry is stored. The writer cuts the segment back to the durable end and starts a fresh
/// segment (``SpoolWriter/recover()``), which the loader can delete once it has loaded the old one; new
/// requests get 503 at once while the committer waits (50 ms, doubling to 2 s) before taking events again,
/// so the spool recovers by itself once space frees. Only if the cut itself fails is the spool
/// ``permanentFailure``: then a restart, whose recovery repairs the tail, is the cure.
///
/// ## A window completed late
/// After a start without the database, the dedupe window lacks the ids already loaded; they arrive later
/// through ``merge(_:)`` (chunks of the database half, oldest first) and ``finishMerge()``, and the committer
/// thread merges them into the window between groups, a chunk at a time, so acknowledgements never wait for
/// the whole merge. An id the merge finds in the database is never taken out of the window again by a failed
/// write: its stored copy is what the window must remember.
///
/// Thread safety: ``submit(_:)``, ``merge(_:)``, ``finishMerge()``, ``spoolBytes``, ``failure``,
/// ``permanentFailure``, ``windowComplete`` and ``committedEnd`` may be called from any thread. `writer`,
/// `dedupe`, the payload buffers and the retry state are touched only by the committer thread, between
/// ``start()`` and the end of ``stop()``; that confinement is why the class is `@unchecked Sendable`. The
/// merge hand-off is guarded by `merges`, a condition held only to pass a chunk or the outcome.
package final class SpoolCommitter: @unchecked Sendable {
    private let ring: BoundedQueue<SpoolSubmission>
    private let writer: SpoolWriter
    private let durableEnd: SpoolDurableEnd
    private var dedupe: DedupeWindow
    private let directory: String
    private let storage: any SpoolStorage
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
        /// Why events are refused right now; nil while the spool takes them.
        var failure: String?
        /// Set when the spool cannot recover without a restart.
        var permanent: String?
        var windowComplete = true
    }

    /// Bytes of payload gathered before it is cut into a spool record, even within one group.
    private static let recordTargetBytes = 4 << 20
    /// Submissions taken in one group at most, so a flood cannot postpone the fsync indefinitely.
    private static let maximumGroup = 4096
    /// With `--ack memory`, the longest unsynced stretch.
    private static let memorySyncInterval: Duration = .milliseconds(200)
    /// The wait after a failed write before events are taken again: doubling from the lower bound.
    private static let retryDelays: ClosedRange<Duration> = .milliseconds(50) ... .seconds(2)

    private let eventsStored = Counter(label: "sluice_events_spooled_total")
    private let duplicates = Counter(label: "sluice_duplicates_total")
    private let groupCommits = Counter(label: "sluice_spool_group_commits_total")
    private let writeFailures = Counter(label: "sluice_spool_write_failures_total")
    private let syncTimer = Metrics.Timer(label: "sluice_spool_fsync_seconds")
    private let ringOccupancy = Gauge(label: "sluice_ring_occupancy")
    private let spoolBytesGauge = Gauge(label: "sluice_spool_bytes")
    private let dedupeEntries = Gauge(label: "sluice_dedupe_entries")
    private let dedupeEvictedEarly = Counter(label: "sluice_dedupe_evicted_early_total")
    private let dedupeSpan = Gauge(label: "sluice_dedupe_window_span_seconds")
    private let dedupeComplete = Gauge(label: "sluice_dedupe_window_complete")

    /// What ``finishMerge()`` answers: the ids the window already held when their database copy was merged
    /// (events accepted without knowing they were stored), and the spool end at that moment.
    package struct MergeOutcome: Sendable {
        /// Keys of ids both in the database and in the spool (or accepted since the start).
        package var present: Set<UInt64>
        /// Every record before this position was accepted before the window was complete; every record
        /// after it was checked against the complete window.
        package var end: SpoolPosition
    }

    /// The merge hand-off between ``merge(_:)`` / ``finishMerge()`` and the committer thread.
    private struct MergeQueue {
        var chunks: [DedupeRebuild.Chunk] = []
        var finishing = false
        var outcome: MergeOutcome?
        var stopped = false
    }
    private let merges = NSCondition()
    private var mergeQueue = MergeQueue()
    /// True while chunks or a finish wait for the committer thread. Sequentially consistent, like `sleeping`:
    /// a producer stores it and then reads `sleeping`; the committer stores `sleeping` and then reads it.
    private let mergeWaiting = Atomic<Bool>(false)
    /// Chunks waiting at most; ``merge(_:)`` blocks beyond, so the hand-off stays small.
    private static let maximumWaitingChunks = 4

    /// - Parameters:
    ///   - writer: the spool, repaired and opened; from now on used only by the committer thread.
    ///   - dedupe: the window, already holding the ids of events loaded or spooled before this start.
    ///   - storage: the file system of `directory`, for its size.
    ///   - windowComplete: false when `dedupe` lacks the database's ids (a start without the database);
    ///     ``finishMerge()`` makes it complete.
    ///   - onCommit: called on the committer thread after each durable group and after the writer moved to
    ///     a fresh segment (the loader is woken there).
    package init(
        ring: BoundedQueue<SpoolSubmission>, writer: SpoolWriter, dedupe: DedupeWindow, directory: String,
        storage: any SpoolStorage = PosixSpoolStorage(), ack: AckMode, logger: Logger, windowComplete: Bool = true,
        onCommit: @escaping @Sendable () -> Void
    ) {
        self.ring = ring
        self.writer = writer
        self.durableEnd = writer.published
        self.dedupe = dedupe
        self.directory = directory
        self.storage = storage
        self.ack = ack
        self.logger = logger
        self.onCommit = onCommit
        state.withLock { $0.windowComplete = windowComplete }
        dedupeComplete.record(windowComplete ? 1 : 0)
        let bytes = (try? SpoolSegment.totalBytes(in: directory, storage: storage)) ?? 0
        spoolByteCount.store(Int64(bytes), ordering: .relaxed)
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
        wakeIfSleeping()
        return true
    }

    private func wakeIfSleeping() {
        if sleeping.load(ordering: .sequentiallyConsistent),
            sleeping.compareExchange(expected: true, desired: false, ordering: .sequentiallyConsistent).exchanged
        {
            wakeup.signal()
        }
    }

    /// Hands one chunk of ids learned after the start (oldest first; successive chunks older to newer) to the
    /// committer thread, which merges it into the window between groups. Blocks while a few chunks already
    /// wait.
    ///
    /// - Returns: false when the committer has stopped (the chunk is dropped).
    package func merge(_ chunk: DedupeRebuild.Chunk) -> Bool {
        merges.lock()
        defer { merges.unlock() }
        while mergeQueue.chunks.count >= Self.maximumWaitingChunks && !mergeQueue.stopped { merges.wait() }
        guard !mergeQueue.stopped else { return false }
        mergeQueue.chunks.append(chunk)
        mergeWaiting.store(true, ordering: .sequentiallyConsistent)
        wakeIfSleeping()
        return true
    }

    /// Waits until every chunk handed to ``merge(_:)`` is in the window, and marks the window complete.
    ///
    /// - Returns: the ids that were present already and the spool end at completion; nil when the committer
    ///   stopped first.
    package func finishMerge() -> MergeOutcome? {
        merges.lock()
        defer { merges.unlock() }
        mergeQueue.finishing = true
        mergeWaiting.store(true, ordering: .sequentiallyConsistent)
        wakeIfSleeping()
        while mergeQueue.outcome == nil && !mergeQueue.stopped { merges.wait() }
        return mergeQueue.outcome
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

    /// Why the spool is not taking events right now (a failed write or fsync it is recovering from, or
    /// ``permanentFailure``); nil while it takes them.
    package var failure: String? { state.withLock { $0.failure } }

    /// Why the spool cannot take events until a restart, if it cannot.
    package var permanentFailure: String? { state.withLock { $0.permanent } }

    /// Whether the dedupe window holds the database's ids too (false after a start without the database,
    /// until ``finishMerge()``).
    package var windowComplete: Bool { state.withLock { $0.windowComplete } }

    /// The spool position up to which everything is fsync'd: once the loader has committed this position,
    /// every event acknowledged so far is in PostgreSQL.
    package var committedEnd: SpoolPosition { durableEnd.position }

    /// Submissions in the ring now, not yet taken into a group.
    package var queuedSubmissions: Int { ring.approximateCount }

    // MARK: - The committer thread

    /// Whether the writer takes records, and if not, when to try again.
    private enum WriterState {
        case writable
        /// After a failure: refuse events until `at`, then recover the writer and take them again.
        case retrying(at: ContinuousClock.Instant)
        /// The cut back to the durable end failed: nothing more is written.
        case broken
    }

    private var payload: [UInt8] = []
    private var waiting: [(SpoolSubmission.Acknowledgement, SpoolReceipt)] = []
    /// The dedupe keys of the events in `payload`, taken out of the window if their write fails.
    private var unsyncedKeys: [UInt64] = []
    /// The dedupe keys of the events in records handed to the writer since the last fsync.
    private var appendedKeys: [UInt64] = []
    /// How many of `waiting`, from the front, have all their events in records handed to the writer (the
    /// rest are in `payload`). A segment rotation inside the next append fsyncs exactly those records.
    private var appendedWaiting = 0
    private var unsyncedSince: ContinuousClock.Instant?
    private var writerState = WriterState.writable
    /// Failures since the last successful fsync, for the backoff.
    private var consecutiveFailures = 0
    private var lastSizeCheck = ContinuousClock.Instant.now
    private var evictionsReported = 0
    /// Keys found already in the window by the merge so far.
    private var mergePresent = Set<UInt64>()

    private func loop() {
        payload.reserveCapacity(Self.recordTargetBytes + (64 << 10))
        while true {
            retryIfDue()
            // Here, between groups, the payload is empty: every event decided so far is in a record before
            // the writer's end, which is what a finishing merge reports.
            if mergeWaiting.load(ordering: .sequentiallyConsistent) { mergeOneChunk() }
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
            if ring.approximateCount == 0 && !mergeWaiting.load(ordering: .sequentiallyConsistent) {
                var timeout: Duration = .milliseconds(ack == .memory ? 20 : 100)
                if case .retrying(let at) = writerState { timeout = max(.zero, min(timeout, at - .now)) }
                _ = wakeup.wait(timeout: .now() + .nanoseconds(Int(timeout.nanoseconds)))
            }
            sleeping.store(false, ordering: .sequentiallyConsistent)
        }
        syncIfDue(force: true)
        merges.lock()
        mergeQueue.stopped = true
        merges.broadcast()
        merges.unlock()
        logger.info("spool committer stopped", metadata: ["end": "\(committedEnd)"])
    }

    /// Merges the oldest waiting chunk into the window, or completes a finishing merge once none is left.
    private func mergeOneChunk() {
        merges.lock()
        let chunk = mergeQueue.chunks.isEmpty ? nil : mergeQueue.chunks.removeFirst()
        let finishing = mergeQueue.finishing
        if mergeQueue.chunks.isEmpty && !finishing {
            // Nothing more until the next chunk arrives (it sets the flag again, under this lock).
            mergeWaiting.store(false, ordering: .sequentiallyConsistent)
        }
        merges.broadcast()
        merges.unlock()
        if let chunk {
            let present = dedupe.mergeOlder(chunk)
            mergePresent.formUnion(present)
            if !present.isEmpty && !(unsyncedKeys.isEmpty && appendedKeys.isEmpty) {
                // Stored already: a failed fsync of the spool's copy must not make the window forget them.
                let stored = Set(present)
                unsyncedKeys.removeAll { stored.contains($0) }
                appendedKeys.removeAll { stored.contains($0) }
            }
            return
        }
        guard finishing else { return }
        let outcome = MergeOutcome(present: mergePresent, end: writer.endPosition)
        mergePresent = []
        state.withLock { $0.windowComplete = true }
        dedupeComplete.record(1)
        merges.lock()
        mergeQueue.finishing = false
        mergeQueue.outcome = outcome
        mergeWaiting.store(false, ordering: .sequentiallyConsistent)
        merges.broadcast()
        merges.unlock()
    }

    private func take(_ submission: SpoolSubmission) {
        guard case .writable = writerState else {
            submission.acknowledgement?.resume(returning: .failure(unavailableError()))
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
                unsyncedKeys.append(key)
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
        guard !payload.isEmpty, case .writable = writerState else { return }
        let durableBefore = writer.durableEnd
        do {
            _ = try writer.append(payload)
            settleRotated(since: durableBefore)
            payload.removeAll(keepingCapacity: true)
            appendedKeys.append(contentsOf: unsyncedKeys)
            unsyncedKeys.removeAll(keepingCapacity: true)
            appendedWaiting = waiting.count
            if unsyncedSince == nil { unsyncedSince = .now }
        } catch {
            // A rotation may have fsync'd the earlier records before this one failed: those stay stored.
            settleRotated(since: durableBefore)
            fail(error)
        }
    }

    /// A full segment is fsync'd before the next one starts, so an append that rotated made every record
    /// handed to the writer before it durable: their requests are answered now, and their ids can no
    /// longer be taken out of the window by a later failure (a 503 for stored events would make the
    /// client's retry store them twice).
    private func settleRotated(since before: SpoolPosition) {
        guard writer.durableEnd > before, appendedWaiting > 0 || !appendedKeys.isEmpty else { return }
        for (acknowledgement, receipt) in waiting.prefix(appendedWaiting) {
            acknowledgement.resume(returning: .success(receipt))
        }
        waiting.removeFirst(appendedWaiting)
        appendedWaiting = 0
        appendedKeys.removeAll(keepingCapacity: true)
        groupCommits.increment()
        onCommit()
    }

    private func commitGroup() {
        appendRecord()
        syncIfDue(force: ack == .durable)
        refreshGauges()
    }

    private func syncIfDue(force: Bool) {
        guard case .writable = writerState else {
            failWaiting()
            return
        }
        if !force, let since = unsyncedSince, ContinuousClock.now - since < Self.memorySyncInterval { return }
        appendRecord()
        guard case .writable = writerState else { return }
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
            unsyncedKeys.removeAll(keepingCapacity: true)
            appendedKeys.removeAll(keepingCapacity: true)
            consecutiveFailures = 0
            onCommit()
        }
        for (acknowledgement, receipt) in waiting { acknowledgement.resume(returning: .success(receipt)) }
        waiting.removeAll(keepingCapacity: true)
        appendedWaiting = 0
    }

    /// A write or fsync failed: fail the waiting requests, forget their ids, cut the spool back, back off.
    private func fail(_ error: any Error) {
        writeFailures.increment()
        consecutiveFailures += 1
        payload.removeAll(keepingCapacity: true)
        for key in appendedKeys { dedupe.remove(key) }
        for key in unsyncedKeys { dedupe.remove(key) }
        if ack == .memory && !(appendedKeys.isEmpty && unsyncedKeys.isEmpty) {
            logger.error(
                "events acknowledged with --ack memory were lost with the failed write",
                metadata: ["events": "\(appendedKeys.count + unsyncedKeys.count)"]
            )
        }
        appendedKeys.removeAll(keepingCapacity: true)
        unsyncedKeys.removeAll(keepingCapacity: true)
        unsyncedSince = nil
        let delay = retryDelay()
        setFailure("the spool could not write (\(error)); retrying", permanent: nil)
        logger.error(
            "a spool write failed; the requests waiting for it get 503, and events are refused until it recovers",
            metadata: ["error": "\(error)", "retryIn": "\(delay)"]
        )
        failWaiting()
        writerState = .retrying(at: .now + delay)
        // Cut the torn record off at once, so the space it took is free and the full segment can go.
        recoverWriter()
    }

    /// After the backoff, makes the writer usable again and takes events again.
    private func retryIfDue() {
        guard case .retrying(let at) = writerState, ContinuousClock.now >= at else { return }
        guard recoverWriter() else { return }
        writerState = .writable
        setFailure(nil, permanent: nil)
        logger.info("the spool takes events again", metadata: ["end": "\(committedEnd)"])
    }

    /// Runs ``SpoolWriter/recover()`` if needed; false (and a new backoff, or the broken state) if it fails.
    @discardableResult
    private func recoverWriter() -> Bool {
        guard writer.needsRecovery else { return true }
        do {
            try writer.recover()
            onCommit()  // The durable end may be in a fresh segment now: the loader can move past the old one.
            return true
        } catch {
            if writer.isBroken {
                writerState = .broken
                let reason = "the spool could not be cut back to its last durable record (\(error)); restart the server"
                setFailure(reason, permanent: reason)
                logger.critical(
                    "the spool failed for good; no events are accepted until a restart", metadata: ["error": "\(error)"]
                )
            } else {
                consecutiveFailures += 1
                writerState = .retrying(at: .now + retryDelay())
                logger.warning("the spool is not writable yet", metadata: ["error": "\(error)"])
            }
            return false
        }
    }

    private func retryDelay() -> Duration {
        var delay = Self.retryDelays.lowerBound
        for _ in 1..<min(max(consecutiveFailures, 1), 32) where delay < Self.retryDelays.upperBound { delay *= 2 }
        return min(delay, Self.retryDelays.upperBound)
    }

    private func setFailure(_ failure: String?, permanent: String?) {
        state.withLock { shared in
            shared.failure = failure
            if let permanent { shared.permanent = permanent }
        }
    }

    private func unavailableError() -> IngestError {
        IngestError(.spoolFailed, "the spool is not accepting events: \(failure ?? "it is recovering"); retry later")
    }

    private func failWaiting() {
        guard !waiting.isEmpty else { return }
        let error = IngestError(
            .spoolFailed,
            "the spool could not store these events (\(failure ?? "write failed")); nothing was stored, retry"
        )
        for (acknowledgement, _) in waiting {
            acknowledgement.resume(returning: .failure(error))
        }
        waiting.removeAll()
        appendedWaiting = 0
    }

    private func refreshGauges() {
        ringOccupancy.record(ring.approximateCount)
        dedupeEntries.record(dedupe.count)
        dedupeSpan.record(dedupe.spanSeconds)
        dedupeComplete.record(windowComplete ? 1 : 0)
        if dedupe.evictedEarly > evictionsReported {
            dedupeEvictedEarly.increment(by: dedupe.evictedEarly - evictionsReported)
            evictionsReported = dedupe.evictedEarly
        }
        let now = ContinuousClock.now
        guard now - lastSizeCheck >= .milliseconds(250) else { return }
        lastSizeCheck = now
        if let bytes = try? SpoolSegment.totalBytes(in: directory, storage: storage) {
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
