import SluiceSpool
import SluiceSpoolTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A reader limited to the writer's durable end never returns a record a power loss could take back, and
/// the writer publishes that end only after an fsync.
@Suite struct SpoolDurableEndTests {
    let storage = FaultInjectingStorage()
    let directory = "/spool"

    init() throws {
        try storage.createDirectory(directory)
        try storage.syncDirectory("/")
    }

    func writer(segmentBytes: Int = 64 << 20) throws -> SpoolWriter {
        try SpoolWriter(directory: directory, segmentBytes: segmentBytes, storage: storage)
    }

    /// Appends a record and syncs it, then a second whose fsync fails with `EIO`; returns the first's end.
    func syncedThenFailed(_ writer: SpoolWriter) throws -> SpoolPosition {
        let first = try writer.append([1])
        try writer.sync()
        _ = try writer.append([2])
        storage.failNext(.sync, errno: EIO)
        #expect(throws: SpoolError.self) { try writer.sync() }
        return first
    }

    func reader(from position: SpoolPosition = .start) throws -> SpoolReader {
        try SpoolReader(directory: directory, from: position, maximumBatchBytes: 1 << 20, storage: storage)
    }

    @Test func flushedRecordsAreInvisibleUpToTheDurableEndUntilTheFsync() throws {
        let writer = try writer()
        let first = try writer.append([1])
        try writer.sync()
        #expect(writer.durableEnd == first)
        let second = try writer.append([2])
        try writer.flush()
        #expect(writer.durableEnd == first, "a flush must not move the durable end")

        let reader = try reader()
        #expect(try reader.next(upTo: writer.durableEnd)?.end == first)
        #expect(try reader.next(upTo: writer.durableEnd) == nil)
        // Without the limit the flushed record shows: exactly what a power loss may take back.
        #expect(try self.reader(from: first).next()?.end == second)

        storage.crash()
        storage.restart()
        let after = try SpoolWriter(directory: directory, storage: storage)
        #expect(after.endPosition == first)
    }

    @Test func aSegmentIsFinalOnceTheDurableEndIsInTheNext() throws {
        let writer = try writer(segmentBytes: 1)
        let first = try writer.append([1])
        try writer.sync()
        let reader = try reader()
        #expect(try reader.next(upTo: writer.durableEnd)?.end == first)
        // Nothing more is durable: the reader waits at the end of segment 0.
        #expect(try reader.next(upTo: writer.durableEnd) == nil)
        #expect(reader.position == first)
        // The rotation syncs segment 0 and makes the empty segment 1 durable: segment 0 is final, but
        // nothing in segment 1 is durable yet.
        let second = try writer.append([2])
        #expect(second.segment == 1)
        #expect(try reader.next(upTo: writer.durableEnd) == nil)
        #expect(reader.position == SpoolPosition(segment: 1, offset: 0))
        try writer.sync()
        #expect(try reader.next(upTo: writer.durableEnd)?.end == second)
    }

    @Test func aReaderMovesPastAFinishedSegmentWithoutARecord() throws {
        let writer = try writer()
        let first = try writer.append([1])
        try writer.sync()
        try writer.startSegment(numbered: 0)
        #expect(writer.durableEnd == SpoolPosition(segment: 1, offset: 0))
        let reader = try reader()
        #expect(try reader.next(upTo: writer.durableEnd)?.end == first)
        #expect(try reader.next(upTo: writer.durableEnd) == nil)
        #expect(reader.position == SpoolPosition(segment: 1, offset: 0))
    }

    @Test func aFailedWriteIsCutBackAndTheWriterGoesOnInAFreshSegment() throws {
        let writer = try writer()
        let first = try writer.append(TestPayload.incompressible(count: 500, seed: 1))
        try writer.sync()
        storage.setCapacity(first.offset + 100)
        _ = try writer.append(TestPayload.incompressible(count: 500, seed: 2))
        let error = #expect(throws: SpoolError.self) { try writer.sync() }
        #expect(error?.errno == ENOSPC)
        #expect(try storage.size(of: SpoolSegment(number: 0).path(in: directory)) == first.offset + 100)
        #expect(writer.needsRecovery)
        #expect(throws: SpoolError.self) { try writer.append([9]) }

        try writer.recover()
        #expect(try storage.size(of: SpoolSegment(number: 0).path(in: directory)) == first.offset)
        #expect(writer.durableEnd == SpoolPosition(segment: 1, offset: 0))
        storage.setCapacity(nil)
        let next = try writer.append([3])
        try writer.sync()
        #expect(next.segment == 1)
        let records = try readAll(storage: storage, directory: directory, upTo: writer.durableEnd)
        #expect(records.map(\.end) == [first, next])
    }

    @Test func aFailedFsyncIsNeverTrustedAgain() throws {
        let writer = try writer()
        let first = try syncedThenFailed(writer)
        // The next fsync would succeed, but the pages the failed one dropped would not be in it.
        try writer.recover()
        #expect(try storage.contents(of: SpoolSegment(number: 0).path(in: directory))?.count == Int(first.offset))
        #expect(writer.durableEnd == SpoolPosition(segment: 1, offset: 0))
    }

    @Test func anEmptySegmentIsReusedAfterAFailureInsteadOfStartingAnother() throws {
        let writer = try writer()
        _ = try writer.append([1])
        storage.failNext(.write, errno: ENOSPC)
        #expect(throws: SpoolError.self) { try writer.sync() }
        try writer.recover()
        #expect(try SpoolSegment.segments(in: directory, storage: storage).map(\.number) == [0])
    }

    @Test func aFailedCutBreaksTheWriterForGood() throws {
        let writer = try writer()
        _ = try writer.append([1])
        storage.failNext(.sync, errno: EIO)
        #expect(throws: SpoolError.self) { try writer.sync() }
        storage.failNext(.truncate, errno: EIO)
        #expect(throws: SpoolError.self) { try writer.recover() }
        #expect(writer.isBroken)
        let error = #expect(throws: SpoolError.self) { try writer.recover() }
        #expect(error?.code == .writerFailed)
        #expect(throws: SpoolError.self) { try writer.append([2]) }
    }

    @Test func aFailedFreshSegmentIsRetried() throws {
        let writer = try writer()
        let first = try syncedThenFailed(writer)
        storage.failNext(.syncDirectory, errno: ENOSPC)
        #expect(throws: SpoolError.self) { try writer.recover() }
        #expect(writer.needsRecovery && !writer.isBroken)
        try writer.recover()
        let next = try writer.append([3])
        try writer.sync()
        #expect(
            try readAll(storage: storage, directory: directory, upTo: writer.durableEnd).map(\.end) == [first, next])
    }
}

/// Every record available from `position` up to `limit` on `storage`.
func readAll(
    storage: any SpoolStorage, directory: String, from position: SpoolPosition = .start,
    upTo limit: SpoolPosition = .end
) throws -> [(payload: [UInt8], end: SpoolPosition)] {
    let reader = try SpoolReader(directory: directory, from: position, maximumBatchBytes: 4 << 20, storage: storage)
    var records: [(payload: [UInt8], end: SpoolPosition)] = []
    while let record = try reader.next(upTo: limit) {
        records.append(record)
    }
    return records
}
