// Benchmarks for the spool stage on its own: `SpoolWriter` compressing a payload of binary COPY tuples into a
// zstd record (level 1, the server's) and appending it to a segment file, as the spool committer does.
//
// Two payload sizes: 4 MiB, the record the committer cuts under load, and one 100-event request's tuples, the
// record of a lone request at low load. Each is appended then either handed to the kernel (`flush()`, the
// `--ack memory` path) or fsync'd (`sync()`, what `--ack durable` waits for), so the cost of the fsync shows
// on its own; the small payload is also appended alone, buffered until 1 MiB of records is gathered as in a
// group commit. Each iteration is one append, so the throughput column reads as records per second, and
// "Payload bytes / s" is the uncompressed COPY data spooled per second, shown scaled, e.g. `(M)` for MB/s.
//
// Every benchmark writes into a fresh directory under the system's temporary directory (ext4 on the development
// machine, so fsync reaches the disk) with the server's 64 MiB segments, and deletes it when it ends.

import Benchmark
import BenchmarkSupport
import Foundation
import SluiceCore
import SluiceSpool
import SluiceWorkload

/// Uncompressed COPY data spooled per second, measured around each iteration; shown scaled, e.g. `(M)` for MB/s.
private let payloadBytesPerSecond = BenchmarkMetric.bytesPerSecond("Payload bytes / s")

private let clock = ContinuousClock()


/// A spool in a fresh temporary directory, open for one benchmark: ``open()`` in its setup, ``remove()`` in its
/// teardown.
private final class ScratchSpool {
    private(set) var writer: SpoolWriter?
    private var directory: String?

    /// Creates the directory and opens a writer with the server's segment size and compression level.
    func open() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-bench-spool-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        directory = path
        writer = try SpoolWriter(directory: path, segmentBytes: 64 << 20, level: 1)
    }

    /// Closes the writer and deletes the directory with every segment in it.
    func remove() {
        writer = nil
        if let directory {
            try? FileManager.default.removeItem(atPath: directory)
        }
        directory = nil
    }
}

/// How a benchmark finishes each append.
private enum Completion: String {
    /// Nothing: the writer buffers records and writes once 1 MiB has gathered.
    case buffered = "append"
    /// `flush()`: one `write` per append.
    case flush = "append + flush"
    /// `sync()`: one `write` and one `fsync` per append.
    case sync = "append + sync"
}

/// How much a payload holds.
private enum PayloadSize {
    /// Exactly this many rows.
    case rows(Int)
    /// Whole rows until at least this many bytes, as the committer cuts its records.
    case bytes(Int)
}

/// `count` payloads of binary COPY tuples (no header or trailer, as in a spool record) of rows from `events`.
private func copyPayloads(_ count: Int, of size: PayloadSize, from events: inout SyntheticEvents) -> [[UInt8]] {
    var encoder = CopyEncoder(capacity: 5 << 20)
    return (0..<count).map { _ in
        encoder.removeAll()
        switch size {
        case .rows(let rows):
            for _ in 0..<rows { encoder.append(events.next()) }
        case .bytes(let bytes):
            while encoder.count < bytes { encoder.append(events.next()) }
        }
        return encoder.bytes
    }
}

/// Registers one spool benchmark appending `payloads` in turn.
private func spoolBenchmark(
    _ name: String, payloads: [[UInt8]], completion: Completion, configuration: Benchmark.Configuration
) {
    let spool = ScratchSpool()
    Benchmark(
        "SpoolWriter \(completion.rawValue), \(name)",
        configuration: configuration,
        closure: { benchmark in
            guard let writer = spool.writer else {
                benchmark.error("the spool did not open")
                return
            }
            let payload = payloads[benchmark.currentIteration % payloads.count]
            let start = clock.now
            do {
                _ = try writer.append(payload)
                switch completion {
                case .buffered: break
                case .flush: try writer.flush()
                case .sync: try writer.sync()
                }
            } catch {
                benchmark.error("spool write failed: \(error)")
            }
            let elapsed = start.duration(to: clock.now)
            benchmark.stopMeasurement()
            benchmark.recordBytes(payload.count, in: elapsed, as: payloadBytesPerSecond)
        },
        setup: { try spool.open() },
        teardown: { spool.remove() }
    )
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, payloadBytesPerSecond],
        warmupIterations: 5,
        scalingFactor: .one,
        maxDuration: .seconds(3),
        maxIterations: 10_000
    )

    // 2025-06-15T12:00:00Z, fixed so that every run spools the same bytes.
    let now = Timestamp(unixMicroseconds: 1_749_988_800_000_000)
    var events = SyntheticEvents(projectID: 1, seed: 2_027, now: now)
    // A few distinct payloads of each size, so that the compressor does not meet the same bytes in cache.
    let large = copyPayloads(4, of: .bytes(4 << 20), from: &events)
    let small = copyPayloads(50, of: .rows(100), from: &events)

    let largeConfiguration = Benchmark.Configuration(warmupIterations: 2, maxIterations: 1_000)
    for completion in [Completion.flush, .sync] {
        spoolBenchmark("4 MiB COPY payload", payloads: large, completion: completion, configuration: largeConfiguration)
    }
    for completion in [Completion.buffered, .flush, .sync] {
        spoolBenchmark("100-event COPY payload", payloads: small, completion: completion, configuration: .init())
    }
}
