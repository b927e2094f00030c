// Benchmarks for encoding `analytics.events` rows for PostgreSQL's COPY: the binary `CopyEncoder` the loader
// uses, the text COPY line encoder for comparison, and the synthetic rows they are fed.
//
// Each iteration handles one batch of 1,000 realistic rows (taken in turn from 10,000 generated up front, so
// the data does not sit in cache the way a single repeated row would), and the scaling factor is 1,000 to
// match: the throughput column reads directly as rows per second. The encoders also report the bytes they
// produce per second as a custom metric, since package-benchmark has no byte-throughput metric of its own.

import Benchmark
import BenchmarkSupport
import SluiceCore
import SluiceWorkload

/// Rows per iteration; must equal the scaling factor so that throughput counts rows.
private let batchRows = BenchmarkScalingFactor.kilo.rawValue

/// The distinct rows the batches are taken from, in turn.
private let poolRows = 10 * batchRows

/// Encoded output per second, measured around each iteration; shown scaled, e.g. `(M)` for MB/s.
private let encodedBytesPerSecond = BenchmarkMetric.bytesPerSecond("Encoded bytes / s")

private let clock = ContinuousClock()


let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 5_000
    )
    let encoderMetrics: [BenchmarkMetric] = Benchmark.defaultConfiguration.metrics + [encodedBytesPerSecond]

    // 2025-06-15T12:00:00Z, fixed so that every run encodes the same bytes.
    let now = Timestamp(unixMicroseconds: 1_749_988_800_000_000)
    var events = SyntheticEvents(projectID: 1, seed: 2_025, now: now)
    let rows = events.rows(poolRows)

    // Reused across iterations, as the loader reuses its encoder: after warm-up a batch allocates nothing.
    var encoder = CopyEncoder(capacity: 2 << 20)
    Benchmark("CopyEncoder binary, 1K event rows", configuration: .init(metrics: encoderMetrics)) { benchmark in
        let first = (benchmark.currentIteration % (poolRows / batchRows)) * batchRows
        let start = clock.now
        encoder.removeAll()
        encoder.writeHeader()
        for index in benchmark.scaledIterations {
            encoder.append(rows[first + index])
        }
        encoder.writeTrailer()
        let elapsed = start.duration(to: clock.now)
        benchmark.stopMeasurement()
        benchmark.recordBytes(encoder.count, in: elapsed, as: encodedBytesPerSecond)
        blackHole(encoder.count)
    }

    var buffer: [UInt8] = []
    buffer.reserveCapacity(2 << 20)
    Benchmark("COPY text lines, 1K event rows", configuration: .init(metrics: encoderMetrics)) { benchmark in
        let first = (benchmark.currentIteration % (poolRows / batchRows)) * batchRows
        let start = clock.now
        buffer.removeAll(keepingCapacity: true)
        for index in benchmark.scaledIterations {
            rows[first + index].appendCopyText(to: &buffer)
        }
        let elapsed = start.duration(to: clock.now)
        benchmark.stopMeasurement()
        benchmark.recordBytes(buffer.count, in: elapsed, as: encodedBytesPerSecond)
        blackHole(buffer.count)
    }

    // One stream across iterations, as when a benchmark prepares its rows.
    var generator = SyntheticEvents(projectID: 1, seed: 7, now: now)
    Benchmark("SyntheticEvents, 1K event rows") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(generator.next())
        }
    }
}
