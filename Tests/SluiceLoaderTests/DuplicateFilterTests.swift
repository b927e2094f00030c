import Foundation
import SluiceCore
import SluiceLoader
import SluiceSpool
import Testing

/// A held loader loads nothing; released with a filter, it drops the filtered ids from the records before the
/// filter's end only, and loads everything else once.
@Suite struct DuplicateFilterTests {
    /// Drops the tuples whose messageId is in `ids`.
    private func filter(_ ids: Set<String>, end: SpoolPosition) -> DuplicateFilter {
        DuplicateFilter(end: end) { tuple in
            guard let id = try? tuple.messageID() else { return false }
            return ids.contains(id)
        }
    }

    @Test func aHeldLoaderLoadsNothingUntilReleased() throws {
        let fixture = try LoaderFixture("held")
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.sync()
        let loader = fixture.loader()
        loader.hold()
        let held = try loader.loadAvailable()
        #expect(held.records == 0 && held.rows == 0)
        #expect(try fixture.count() == 0)
        #expect(loader.health == .healthy, "the checkpoint was read: the database answers")
        loader.release(dropping: nil)
        #expect(try loader.loadAvailable().rows == 10)
        #expect(try fixture.count() == 10)
    }

    @Test func dropsFilteredIdsOnlyFromRecordsBeforeItsEnd() throws {
        let fixture = try LoaderFixture("filter")
        let writer = try fixture.writer(segmentBytes: 1)
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        _ = try writer.append(Payload.bytes(Payload.rows(10, 10)))
        let end = writer.endPosition
        // After the end: m-3 again must load (a later record was checked against the complete window).
        _ = try writer.append(Payload.bytes(Payload.rows(3, 1) + Payload.rows(20, 5)))
        try writer.sync()

        let loader = fixture.loader(maxBatchRows: 10)
        loader.hold()
        _ = try loader.loadAvailable()
        loader.release(dropping: filter(["m-3", "m-12", "m-13"], end: end))
        var dropped = 0
        var rows = 0
        while true {
            let report = try loader.loadAvailable()
            if report.records == 0 { break }
            dropped += report.duplicatesDropped
            rows += report.rows
        }
        #expect(dropped == 3)
        #expect(rows == 23, "9 + 8 from the filtered records, 6 from the last")
        #expect(try fixture.count("SELECT count(*) FROM analytics.events WHERE message_id = 'm-3'") == 1)
        #expect(try fixture.count("SELECT count(*) FROM analytics.events WHERE message_id IN ('m-12', 'm-13')") == 0)
        #expect(try fixture.count() == 23)
        #expect(try fixture.checkpoint()?.rows == 23)
    }

    @Test func filteringKeepsAMalformedTailForTheDeadLetters() throws {
        let good = Payload.bytes(Payload.rows(0, 3))
        let payload = good + [0x00, 0x05, 0xFF]
        let (kept, dropped) = filter(["m-1"], end: .start).filtered(payload)
        #expect(dropped == 1)
        #expect(kept.suffix(3) == [0x00, 0x05, 0xFF])
        var tuples = CopyTuples(kept)
        #expect(try tuples.next()?.messageID() == "m-0")
        #expect(try tuples.next()?.messageID() == "m-2")
        let (untouched, none) = filter(["nope"], end: .start).filtered(payload)
        #expect(none == 0 && untouched == payload)
    }
}
