// Benchmarks for the first ingest stage on its own: `SegmentDecoder` turning `/v1/batch` request bodies into
// rows, and `Enricher` filling their extracted columns, as the ingest controller does for every request (its
// HTTP, decompression, COPY encoding and hand-off to the ring are left out).
//
// Each iteration handles ten realistic 100-event batch bodies (what an SDK sends by default), taken in turn from
// 100 bodies generated up front so that they do not sit in cache the way one repeated body would; the scaling
// factor is 1,000 to match, so the throughput column reads as events per second. "Body bytes / s" is the request
// JSON decoded per second, shown scaled, e.g. `(M)` for MB/s. Decode alone, enrichment alone and the two
// together are measured separately so that a regression shows which half it is in.

import Benchmark
import BenchmarkSupport
import SluiceCore
import SluiceEnrichment
import SluiceSegment
import SluiceWorkload

/// Events in one request body, the default batch of Segment's SDKs.
private let eventsPerBatch = 100

/// Events per iteration; must equal the scaling factor so that throughput counts events.
private let eventsPerIteration = BenchmarkScalingFactor.kilo.rawValue

private let batchesPerIteration = eventsPerIteration / eventsPerBatch

/// The distinct bodies the iterations take in turn.
private let poolBatches = 10 * batchesPerIteration

/// Request JSON decoded per second, measured around each iteration; shown scaled, e.g. `(M)` for MB/s.
private let bodyBytesPerSecond = BenchmarkMetric.bytesPerSecond("Body bytes / s")

private let clock = ContinuousClock()


/// Called for an event without a `messageId`; the synthetic events all have one, so it only guards the count.
private func unexpectedMessageID() -> String {
    fatalError("a synthetic event arrived without a messageId")
}

/// Decodes `body` as a `/v1/batch` request the way the ingest controller does.
private func decode(
    _ body: [UInt8], with decoder: SegmentDecoder, receivedAt: Timestamp
) throws(SegmentRequestError) -> SegmentBatch {
    try decoder.decode(body, call: .batch, projectID: 1, receivedAt: receivedAt, newMessageID: unexpectedMessageID)
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 5_000
    )
    let decoderMetrics: [BenchmarkMetric] = Benchmark.defaultConfiguration.metrics + [bodyBytesPerSecond]

    // 2025-06-15T12:00:00Z, fixed so that every run decodes the same bytes; the server receives them a second
    // after the last event happened.
    let now = Timestamp(unixMicroseconds: 1_749_988_800_000_000)
    let receivedAt = Timestamp(unixMicroseconds: now.unixMicroseconds + 1_000_000)
    var events = SyntheticEvents(projectID: 1, seed: 2_026, now: now)
    let bodies = (0..<poolBatches).map { _ in SegmentEventJSON.batch(events.rows(eventsPerBatch)) }

    let decoder = SegmentDecoder()
    let enricher = Enricher(ipMode: .truncate, secret: Array(repeating: 0x5A, count: 32))
    // The request's peer, used for the events whose context carries no `ip` (server-side calls).
    let clientAddress = InetAddress("203.0.113.7")

    // Every body must decode whole, or the benchmarks would time the rejection path instead.
    var decoded: [SegmentEvent] = []
    decoded.reserveCapacity(poolBatches * eventsPerBatch)
    for (number, body) in bodies.enumerated() {
        do {
            let batch = try decode(body, with: decoder, receivedAt: receivedAt)
            guard batch.events.count == eventsPerBatch, batch.rejected.isEmpty else {
                fatalError(
                    "synthetic body \(number) decoded to \(batch.events.count) events and \(batch.rejected.count) "
                        + "rejections: \(batch.rejected.prefix(3))"
                )
            }
            decoded.append(contentsOf: batch.events)
        } catch {
            fatalError("synthetic body \(number) failed to decode: \(error)")
        }
    }

    /// One iteration of the decode benchmarks: the iteration's ten bodies decoded, each event enriched as well when
    /// `enrich` is set; records the body bytes per second.
    func decodeBodies(_ benchmark: Benchmark, enrich: Bool) {
        let first = (benchmark.currentIteration % (poolBatches / batchesPerIteration)) * batchesPerIteration
        var bytes = 0
        var accepted = 0
        let start = clock.now
        for body in bodies[first..<(first + batchesPerIteration)] {
            do {
                let batch = try decode(body, with: decoder, receivedAt: receivedAt)
                if enrich {
                    for event in batch.events {
                        // As the ingest controller does: a copy of the decoded row, enriched and then encoded.
                        var row = event.row
                        enricher.enrich(&row, hints: event.hints, clientAddress: clientAddress, headerCountry: nil)
                        blackHole(row)
                    }
                }
                accepted += batch.events.count
                blackHole(batch)
            } catch {
                benchmark.error("a body that decoded before failed: \(error)")
            }
            bytes += body.count
        }
        let elapsed = start.duration(to: clock.now)
        benchmark.stopMeasurement()
        benchmark.recordBytes(bytes, in: elapsed, as: bodyBytesPerSecond)
        if accepted != benchmark.scaledIterations.count {
            benchmark.error("decoded \(accepted) events, expected \(benchmark.scaledIterations.count)")
        }
    }

    Benchmark("SegmentDecoder decode, 100-event batches", configuration: .init(metrics: decoderMetrics)) {
        decodeBodies($0, enrich: false)
    }

    Benchmark("Enricher enrich, 1K decoded events") { benchmark in
        let first = (benchmark.currentIteration % (decoded.count / eventsPerIteration)) * eventsPerIteration
        for index in benchmark.scaledIterations {
            let event = decoded[first + index]
            var row = event.row
            enricher.enrich(&row, hints: event.hints, clientAddress: clientAddress, headerCountry: nil)
            blackHole(row)
        }
    }

    Benchmark(
        "SegmentDecoder decode + Enricher enrich, 100-event batches", configuration: .init(metrics: decoderMetrics)
    ) {
        decodeBodies($0, enrich: true)
    }
}
