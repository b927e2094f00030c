// Benchmarks for the dedupe stage on its own: `DedupeWindow.insert`, which the spool committer calls once per
// event to decide whether it is new, in the steady state of a busy server: the window full at the server's
// default capacity (5 million ids, 24 hours), so every new id evicts the oldest.
//
// Three cases: new ids (each insert answers true and evicts one), repeated ids (each answers false: an SDK's
// retry), and new ids with the key hashed from the messageId string in the measured loop too, as the ingest
// controller does per event; and the hashing alone, for comparison. Each iteration makes 1,000 inserts or hashes
// (scaling factor `.kilo`), so the throughput column reads as lookups per second. The keys are prepared in each
// benchmark's setup, outside the timing.

import Benchmark
import BenchmarkSupport
import SluiceCore
import SluiceIngest

/// Inserts per iteration; must equal the scaling factor so that throughput counts lookups.
private let insertsPerIteration = BenchmarkScalingFactor.kilo.rawValue

/// The server's default (`IngestConfiguration.dedupeCapacity` and `.dedupeWindow`).
private let capacity = 5_000_000
private let windowLength: Duration = .seconds(24 * 3600)

private let warmupIterations = 10
private let maxIterations = 5_000

/// New ids a benchmark may insert at most: every iteration, warm-up included, takes fresh ones.
private let freshIDs = (warmupIterations + maxIterations) * insertsPerIteration

private let projectID: Int64 = 1

/// A full window and the ids a benchmark feeds it: built in the benchmark's setup, released in its teardown.
private final class DedupeFixture {
    /// Ids numbered from here on were never inserted.
    private static let firstFreshID = UInt64(capacity)

    var window = DedupeWindow(window: windowLength, capacity: capacity)
    /// The keys the window holds, in insertion order (only when kept).
    var heldKeys: [UInt64] = []
    /// Keys of ids not in the window.
    var freshKeys: [UInt64] = []
    /// Ids not in the window.
    var freshMessageIDs: [String] = []

    /// Fills the window to capacity, keeping its keys if `keepHeld`, and prepares `freshIDs` new keys, or new
    /// id strings if `strings`.
    func prepare(keepHeld: Bool, strings: Bool) {
        let start = Timestamp.now()
        window = DedupeWindow(window: windowLength, capacity: capacity, now: start)
        heldKeys = []
        if keepHeld { heldKeys.reserveCapacity(capacity) }
        for number in 0..<Self.firstFreshID {
            let key = DedupeWindow.key(projectID: projectID, messageID: syntheticUUID(number))
            _ = window.insert(key, at: start)
            if keepHeld { heldKeys.append(key) }
        }
        let fresh = Self.firstFreshID..<(Self.firstFreshID + UInt64(freshIDs))
        if strings {
            freshMessageIDs = fresh.map(syntheticUUID)
        } else {
            freshKeys = fresh.map { DedupeWindow.key(projectID: projectID, messageID: syntheticUUID($0)) }
        }
    }

    func release() {
        window = DedupeWindow(window: windowLength, capacity: 1)
        heldKeys = []
        freshKeys = []
        freshMessageIDs = []
    }
}

/// Reports a benchmark error unless `count` of the iteration's inserts answered as `expected`.
private func check(_ count: Int, answered expected: Bool, in benchmark: Benchmark) {
    guard count != benchmark.scaledIterations.count else { return }
    benchmark.error("\(count) of \(benchmark.scaledIterations.count) inserts answered \(expected)")
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        warmupIterations: warmupIterations,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: maxIterations
    )

    let fresh = DedupeFixture()
    Benchmark(
        "DedupeWindow insert, new keys (full 5M window)",
        closure: { benchmark in
            let first = benchmark.currentIteration * insertsPerIteration
            var inserted = 0
            // The committer reads the clock once per request, not per event.
            let now = Timestamp.now()
            for index in benchmark.scaledIterations
            where fresh.window.insert(fresh.freshKeys[first + index], at: now) {
                inserted += 1
            }
            benchmark.stopMeasurement()
            check(inserted, answered: true, in: benchmark)
        },
        setup: { fresh.prepare(keepHeld: false, strings: false) },
        teardown: { fresh.release() }
    )

    let repeated = DedupeFixture()
    Benchmark(
        "DedupeWindow insert, repeated keys (full 5M window)",
        closure: { benchmark in
            let first = (benchmark.currentIteration * insertsPerIteration) % (capacity - insertsPerIteration)
            var duplicates = 0
            let now = Timestamp.now()
            for index in benchmark.scaledIterations
            where !repeated.window.insert(repeated.heldKeys[first + index], at: now) {
                duplicates += 1
            }
            benchmark.stopMeasurement()
            check(duplicates, answered: false, in: benchmark)
        },
        setup: { repeated.prepare(keepHeld: true, strings: false) },
        teardown: { repeated.release() }
    )

    // The hashing alone, over ids few enough to stay in cache: the part of the case below that is not the window.
    let cachedIDs = (0..<UInt64(10 * insertsPerIteration)).map(syntheticUUID)
    Benchmark("DedupeWindow key, 1K messageIds (10K in cache)") { benchmark in
        let first = (benchmark.currentIteration % 10) * insertsPerIteration
        for index in benchmark.scaledIterations {
            blackHole(DedupeWindow.key(projectID: projectID, messageID: cachedIDs[first + index]))
        }
    }

    let hashed = DedupeFixture()
    Benchmark(
        "DedupeWindow key + insert, new messageIds (full 5M window)",
        closure: { benchmark in
            let first = benchmark.currentIteration * insertsPerIteration
            var inserted = 0
            let now = Timestamp.now()
            for index in benchmark.scaledIterations {
                let key = DedupeWindow.key(projectID: projectID, messageID: hashed.freshMessageIDs[first + index])
                if hashed.window.insert(key, at: now) { inserted += 1 }
            }
            benchmark.stopMeasurement()
            check(inserted, answered: true, in: benchmark)
        },
        setup: { hashed.prepare(keepHeld: false, strings: true) },
        teardown: { hashed.release() }
    )
}
