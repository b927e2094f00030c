import Foundation
import Logging
import SluiceHangGuard
import SluiceIngest
import SluiceRing
import SluiceSpool
import Synchronization
import Testing

/// The committer under contention: many producers submitting through a small ring while its thread dedupes,
/// appends, fsyncs and acknowledges, and other threads read its shared state. Every submission must be
/// answered exactly once with the right receipt, and the spool must hold every distinct event exactly once.
///
/// `scripts/tsan.sh` runs this suite under Thread Sanitizer, with the ring's.
@Suite struct SpoolCommitterTests {
    /// Tuples in these tests are the event's dedupe key as 8 little-endian bytes, so the spool can be checked
    /// against the keys without decoding COPY rows (the committer moves tuple bytes without looking at them).
    static func submission(_ keys: [UInt64]) -> SpoolSubmission {
        var tuples: [UInt8] = []
        for key in keys { withUnsafeBytes(of: key.littleEndian) { tuples += $0 } }
        return SpoolSubmission(tuples: tuples, tupleEnds: keys.indices.map { 8 * ($0 + 1) }, keys: keys)
    }

    /// The keys in the spool, in order.
    static func spooledKeys(_ directory: String) throws -> [UInt64] {
        let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 64 << 20)
        var keys: [UInt64] = []
        while let record = try reader.next() {
            #expect(record.payload.count % 8 == 0)
            for start in stride(from: 0, to: record.payload.count, by: 8) {
                keys.append(record.payload[start..<start + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
        }
        return keys
    }

    static func committer(directory: String, ack: AckMode, ringCapacity: Int) throws -> SpoolCommitter {
        var logger = Logger(label: "sluice-test")
        logger.logLevel = .warning
        return SpoolCommitter(
            ring: BoundedQueue(capacity: ringCapacity), writer: try SpoolWriter(directory: directory),
            dedupe: DedupeWindow(window: .seconds(3600), capacity: 1 << 20), directory: directory, ack: ack,
            logger: logger, onCommit: {}
        )
    }

    /// An empty spool directory, removed with the value (so a test uses `path` until its last check).
    final class TemporarySpool {
        let path = FileManager.default.temporaryDirectory.path + "/sluice-committer-\(UUID().uuidString)"

        init() throws {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }

        deinit {
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// Reads the committer's shared state from a thread of its own until stopped, as `/readyz`, the spool
    /// budget check and the harness do while it runs.
    final class Observer: Sendable {
        private let stopRequested = Atomic<Bool>(false)
        private let done = DispatchSemaphore(value: 0)

        init(_ committer: SpoolCommitter) {
            Thread { [self] in
                var last = SpoolPosition.start
                while !stopRequested.load(ordering: .relaxed) {
                    let end = committer.committedEnd
                    #expect(end >= last, "the committed end went back from \(last) to \(end)")
                    last = end
                    _ = committer.spoolBytes
                    #expect(committer.failure == nil)
                }
                done.signal()
            }.start()
        }

        /// Stops the thread and waits for it.
        func stop() throws {
            stopRequested.store(true, ordering: .relaxed)
            try HangGuard.bounded("the observer thread to finish") { _ in
                done.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
            }
        }
    }

    /// The key of event `event` of a producer's own in round `round`.
    static func ownKey(producer: Int, round: Int, event: Int) -> UInt64 {
        UInt64(producer) << 32 | UInt64(round) << 8 | UInt64(event)
    }

    /// The key of shared event `event` of round `round`, which every producer sends.
    static func sharedKey(round: Int, event: Int) -> UInt64 {
        1 << 63 | UInt64(round) << 8 | UInt64(event)
    }

    /// A shutdown that never begins: the waits below end only when the committer answers.
    static let noShutdown = ShutdownDeadline(allowance: .seconds(3600))  // allow-timing: never begun

    /// Submits with `--ack durable` as a request handler does: waits for the committer's answer, and retries
    /// while the ring is full.
    static func submitDurably(_ submission: SpoolSubmission, to committer: SpoolCommitter) async
        -> Result<SpoolReceipt, IngestError>
    {
        while true {
            let acknowledgement = SpoolAcknowledgement()
            var waiting = submission
            waiting.acknowledgement = acknowledgement
            let outcome =
                committer.submit(waiting)
                ? await acknowledgement.result(until: Self.noShutdown)
                : .failure(IngestError(.overloaded, "the ring is full"))
            if case .failure(let error) = outcome, error.code == .overloaded {
                await Task.yield()
                continue
            }
            return outcome
        }
    }

    @Test func durableProducersAreEachAnsweredOnceAndEveryDistinctEventIsSpooledOnce() async throws {
        let spool = try TemporarySpool()
        let committer = try Self.committer(directory: spool.path, ack: .durable, ringCapacity: 16)
        committer.start()
        let observer = Observer(committer)

        // Each round a producer sends two events of its own and the round's two shared events, which every
        // producer sends: those are stored once and counted as duplicates producers − 1 times.
        let producers = 8
        let rounds = 150
        let receipts = await withTaskGroup(of: [SpoolReceipt?].self) { group in
            for producer in 0..<producers {
                group.addTask {
                    var receipts: [SpoolReceipt?] = []
                    for round in 0..<rounds {
                        let own = (0..<2).map { Self.ownKey(producer: producer, round: round, event: $0) }
                        let shared = (0..<2).map { Self.sharedKey(round: round, event: $0) }
                        let outcome = await Self.submitDurably(Self.submission(own + shared), to: committer)
                        receipts.append(try? outcome.get())
                    }
                    return receipts
                }
            }
            var all: [SpoolReceipt?] = []
            for await receipts in group { all += receipts }
            return all
        }
        committer.stop()
        try observer.stop()

        #expect(receipts.count == producers * rounds)
        #expect(receipts.allSatisfy { $0 != nil }, "a submission failed")
        let answered = receipts.compactMap { $0 }
        #expect(answered.allSatisfy { $0.stored + $0.duplicates == 4 })
        #expect(answered.reduce(0) { $0 + $1.stored } == producers * rounds * 2 + rounds * 2)
        #expect(answered.reduce(0) { $0 + $1.duplicates } == rounds * 2 * (producers - 1))

        let spooled = try Self.spooledKeys(spool.path)
        var expected = Set<UInt64>()
        for round in 0..<rounds {
            for event in 0..<2 {
                expected.insert(Self.sharedKey(round: round, event: event))
                for producer in 0..<producers {
                    expected.insert(Self.ownKey(producer: producer, round: round, event: event))
                }
            }
        }
        #expect(spooled.count == expected.count)
        #expect(Set(spooled) == expected)
        let spoolBytes = try SpoolSegment.totalBytes(in: spool.path)
        #expect(committer.committedEnd == SpoolPosition(segment: 0, offset: spoolBytes))
    }

    @Test func memoryAckProducerThreadsLoseNothingAcrossAStop() throws {
        let spool = try TemporarySpool()
        let committer = try Self.committer(directory: spool.path, ack: .memory, ringCapacity: 8)
        committer.start()
        let observer = Observer(committer)

        // Producer threads outside Swift concurrency, spinning on a full ring as nothing waits for an fsync.
        let producers = 4
        let perProducer = 20_000
        let finished = DispatchGroup()
        for producer in 0..<producers {
            finished.enter()
            Thread {
                for sequence in 0..<perProducer {
                    let submission = Self.submission([UInt64(producer) << 32 | UInt64(sequence)])
                    while !committer.submit(submission) { sched_yield() }
                }
                finished.leave()
            }.start()
        }
        try HangGuard.bounded("the producer threads to finish") { _ in
            finished.wait(timeout: .now() + HangGuard.limitInSeconds) == .success
        }
        committer.stop()
        try observer.stop()

        // Everything submitted before the stop is in the spool, once, in each producer's order.
        let spooled = try Self.spooledKeys(spool.path)
        #expect(spooled.count == producers * perProducer)
        var next = [UInt64](repeating: 0, count: producers)
        var outOfOrder = 0
        for key in spooled {
            let producer = Int(key >> 32)
            if key & 0xFFFF_FFFF != next[producer] { outOfOrder += 1 }
            next[producer] = (key & 0xFFFF_FFFF) + 1
        }
        #expect(outOfOrder == 0)
        #expect(next == [UInt64](repeating: UInt64(perProducer), count: producers))
    }
}
