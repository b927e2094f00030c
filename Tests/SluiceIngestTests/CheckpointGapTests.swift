import Foundation
import SluiceSpool
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A spool found shorter than its committed checkpoint (a restored disk, a lost tail) through the real server,
/// real HTTP and a real file system: the server starts, says so in the log and a metric, writes new records
/// only after the checkpoint, and the loader loads every one of them.
@Suite struct CheckpointGapTests {
    @Test func aSpoolShorterThanItsCheckpointGetsAFreshSegmentAndLoadsEveryNewEvent() async throws {
        let harness = try IngestHarness(label: "ckptgap")
        defer { harness.removeSpool() }
        let before = (0..<20).map { "gap-before-\($0)" }
        let aheadBefore = try await harness.withServer { server in
            let answer = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch(before.map { Events.track($0) }),
                writeKey: harness.writeKey
            )
            #expect(answer.status == 200)
            try await server.waitUntilLoaded()
            let metrics = try await HTTP.get("\(server.baseURL)/metrics").body
            return PrometheusText.value(of: "sluice_spool_checkpoint_ahead_total", in: metrics) ?? 0
        }
        let checkpoint = try #require(try harness.checkpoint(nodeID: harness.configuration().nodeID))
        #expect(checkpoint.offset > 0)

        // The disk comes back without the segment's contents: the file is there, empty.
        let segment = SpoolSegment(number: checkpoint.segment).path(in: harness.spoolDirectory)
        #expect(truncate(segment, 0) == 0, "truncate \(segment): errno \(errno)")

        let after = (0..<20).map { "gap-after-\($0)" }
        try await harness.withServer { server in
            let gap = try #require(server.server.startReport.checkpointGap, "the shorter spool went unnoticed")
            #expect(gap.checkpoint == checkpoint)
            #expect(gap.appendsFrom > checkpoint, "new records would start at \(gap.appendsFrom)")
            let metrics = try await HTTP.get("\(server.baseURL)/metrics").body
            #expect((PrometheusText.value(of: "sluice_spool_checkpoint_ahead_total", in: metrics) ?? 0) > aheadBefore)

            // New events, and a client's resend of the old ones: each stored once.
            for ids in [after, before] {
                let answer = try await HTTP.post(
                    "\(server.baseURL)/v1/batch", json: Events.batch(ids.map { Events.track($0) }),
                    writeKey: harness.writeKey
                )
                #expect(answer.status == 200)
            }
            try await server.waitUntilLoaded()
        }
        let counts = try harness.messageCounts()
        #expect(Set(counts.keys) == Set(before + after))
        #expect(counts.values.allSatisfy { $0 == 1 }, "stored twice: \(counts.filter { $0.value > 1 })")
        let moved = try #require(try harness.checkpoint(nodeID: harness.configuration().nodeID))
        #expect(moved > checkpoint)
    }
}
