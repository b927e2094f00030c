import Foundation
import SluiceSpool
import SluiceSpoolTesting
import Testing

/// Opening a spool directory: the lock first, then recovery, then everything made durable, then the
/// identity; and the writer never appends at or before the committed checkpoint.
@Suite struct SpoolDirectoryTests {
    let storage = FaultInjectingStorage()
    let directory = "/var/spool"

    func open() throws -> SpoolDirectory {
        try SpoolDirectory.open(directory, storage: storage)
    }

    /// Writes `records` records of 300 incompressible bytes, synced, rotating at `segmentBytes` (300 puts each
    /// in a segment of its own); returns their ends.
    func fill(records: Int, segmentBytes: Int = 64 << 20) throws -> [SpoolPosition] {
        let spool = try open()
        defer { spool.unlock() }
        let (writer, _) = try spool.openWriter(segmentBytes: segmentBytes, after: .start)
        let ends = try (0..<records).map { try writer.append(TestPayload.incompressible(count: 300, seed: UInt64($0))) }
        try writer.sync()
        return ends
    }

    @Test func aSecondOpenIsRefusedNamingTheDirectoryAndTouchesNothing() throws {
        let first = try open()
        let operationsBefore = storage.operations
        let error = #expect(throws: SpoolError.self) { try open() }
        #expect(error?.code == .locked)
        #expect(error?.description.contains(directory) == true)
        // Only the mkdir and the lock attempt happened.
        #expect(storage.operationLog.dropFirst(operationsBefore).map(\.operation) == [.createDirectory, .lock])
        first.unlock()
        _ = try open()
    }

    @Test func theRealFileSystemLockIsExclusiveAcrossOpens() throws {
        try withSpoolDirectory { path in
            let first = try SpoolDirectory.open(path)
            let error = #expect(throws: SpoolError.self) { try SpoolDirectory.open(path) }
            #expect(error?.code == .locked)
            first.unlock()
            _ = try SpoolDirectory.open(path)
        }
    }

    @Test func theLockComesFirstAndTheLastSegmentDirectoryAndParentAreSynced() throws {
        _ = try fill(records: 3, segmentBytes: 300)
        let before = storage.operations
        _ = try open()
        let log = Array(storage.operationLog.dropFirst(before))
        #expect(log.prefix(2).map(\.operation) == [.createDirectory, .lock])
        let lastSegment = SpoolSegment(number: 2).path(in: directory)
        let syncs = log.filter { $0.operation == .sync || $0.operation == .syncDirectory }.map(\.path)
        #expect(syncs.prefix(3) == [lastSegment, directory, "/var"])
        // Nothing reads a segment before the lock.
        let firstRead = try #require(log.firstIndex { $0.operation == .read || $0.operation == .open })
        #expect(firstRead > 1)
    }

    @Test func everythingPresentAtOpenSurvivesAPowerLossRightAfter() throws {
        // A process killed before its fsync leaves its writes in the page cache; the next start makes them
        // durable before its readers count on them.
        let spool = try open()
        let (writer, _) = try spool.openWriter(after: .start)
        let end = try writer.append([1, 2, 3])
        try writer.flush()
        spool.unlock()
        _ = try open()
        storage.crash()
        storage.restart(entries: .lost)
        #expect(try readAll(storage: storage, directory: directory).map(\.end) == [end])
    }

    @Test func theIdentityIsCreatedDurablyOnceAndSaysWhetherTheSpoolWasEmpty() throws {
        let first = try open()
        #expect(first.identity.createdEmpty)
        first.unlock()
        storage.crash()
        storage.restart(entries: .lost)
        let again = try open()
        #expect(again.identity == first.identity)
        #expect(SpoolIdentity(fileText: first.identity.fileText) == first.identity)
        #expect(first.identity.id.count == 36)
        again.unlock()

        // A spool of an older release (segments, no identity file) gets one that says so.
        let old = FaultInjectingStorage()
        try old.createDirectory(directory)
        let file = try old.openForAppending(SpoolSegment(number: 0).path(in: directory))
        try file.sync()
        let upgraded = try SpoolDirectory.open(directory, storage: old)
        #expect(!upgraded.identity.createdEmpty)
        #expect(upgraded.identity != first.identity)
    }

    @Test func aDamagedIdentityFileIsAnErrorNotANewIdentity() throws {
        try open().unlock()
        storage.overwrite(directory + "/" + SpoolIdentity.fileName, with: Array("garbage\n".utf8))
        let error = #expect(throws: SpoolError.self) { try open() }
        #expect(error?.code == .corruptRecord)
    }

    @Test func aCheckpointPastTheEndOfItsSegmentGetsAFreshSegmentAfterIt() throws {
        let ends = try fill(records: 3)
        // The spool lost its tail: the checkpoint names a position past what segment 0 holds now.
        let path = SpoolSegment(number: 0).path(in: directory)
        let bytes = try #require(storage.contents(atPath: path))
        storage.overwrite(path, with: Array(bytes.prefix(Int(ends[0].offset))))
        let checkpoint = ends[2]

        let spool = try open()
        let (writer, gap) = try spool.openWriter(after: checkpoint)
        #expect(gap?.checkpoint == checkpoint)
        #expect(gap?.segmentBytes == ends[0].offset)
        #expect(gap?.appendsFrom == SpoolPosition(segment: 1, offset: 0))
        let new = try writer.append([7])
        try writer.sync()
        #expect(new.segment == 1)

        // The loader resumes at its checkpoint, moves past the short segment and loads the new record.
        let reader = try SpoolReader(
            directory: directory, from: checkpoint, maximumBatchBytes: 1 << 20, storage: storage)
        #expect(try reader.next(upTo: writer.durableEnd)?.payload == [7])
        #expect(reader.skipped?.from == checkpoint)
    }

    @Test func aCheckpointInAMissingSegmentWithLaterOnesKeepsAppendingAfterThem() throws {
        let ends = try fill(records: 6, segmentBytes: 300)
        #expect(ends.last!.segment >= 3)
        try storage.remove(SpoolSegment(number: 1).path(in: directory))
        let checkpoint = SpoolPosition(segment: 1, offset: 50)
        let spool = try open()
        let (writer, gap) = try spool.openWriter(segmentBytes: 300, after: checkpoint)
        #expect(gap?.segmentBytes == nil)
        #expect(gap?.appendsFrom == writer.endPosition)
        #expect(writer.endPosition.segment == ends.last!.segment)
        let records = try readAll(storage: storage, directory: directory, from: checkpoint, upTo: writer.durableEnd)
        #expect(records.map(\.end) == ends.filter { $0.segment >= 2 })
    }

    @Test func aCheckpointAfterEverySegmentGetsAFreshSegmentNumberedAfterIt() throws {
        _ = try fill(records: 2)
        let checkpoint = SpoolPosition(segment: 9, offset: 1234)
        let spool = try open()
        let (writer, gap) = try spool.openWriter(after: checkpoint)
        #expect(gap?.lastSegment == 0)
        #expect(writer.endPosition == SpoolPosition(segment: 10, offset: 0))
        let new = try writer.append([1])
        try writer.sync()
        #expect(new > checkpoint)
    }

    @Test func aCheckpointInsideTheSpoolNeedsNothing() throws {
        let ends = try fill(records: 3)
        let (writer, gap) = try open().openWriter(after: ends[1])
        #expect(gap == nil)
        #expect(writer.endPosition == ends[2])
    }

    @Test func appendsWhileTheCheckpointIsUnknownAreRecordedAndTheCheckpointMovedBackOverThem() throws {
        let ends = try fill(records: 2)
        // The tail holding the second record is lost while the database holds a checkpoint past it.
        let path = SpoolSegment(number: 0).path(in: directory)
        let bytes = try #require(storage.contents(atPath: path))
        storage.overwrite(path, with: Array(bytes.prefix(Int(ends[0].offset))))

        let spool = try open()
        let (writer, _) = try spool.openWriter(after: nil)
        let new = try writer.append([5])
        try writer.sync()
        #expect(new.segment == 0 && new < ends[1])
        spool.unlock()

        // The record of where the unverified appends start survives a restart.
        let reopened = try open()
        #expect(try reopened.verify(checkpoint: ends[1]) == .moveBack(to: ends[0]))
        try reopened.checkpointMovedBack()
        #expect(try reopened.verify(checkpoint: ends[1]) == .resume)
        #expect(try storage.contents(of: directory + "/" + SpoolDirectory.unverifiedFileName) == nil)
    }

    @Test func aCheckpointBeforeTheUnverifiedAppendsClearsTheRecord() throws {
        let ends = try fill(records: 2)
        let spool = try open()
        _ = try spool.openWriter(after: nil)
        #expect(try spool.verify(checkpoint: ends[0]) == .resume)
        #expect(try spool.verify(checkpoint: SpoolPosition(segment: 5, offset: 0)) == .resume)
    }
}
