import SluiceZstd

/// Appends batches to the spool as ``SpoolRecord``s, rotating to a new segment by size.
///
/// ``append(_:)`` compresses a batch and buffers the record; ``flush()`` hands the buffer to the
/// kernel with `write`; ``sync()`` also fsyncs it and publishes the new ``durableEnd``. A batch is
/// durable, and its requests may be acknowledged, only after a ``sync()`` that follows its
/// ``append(_:)``: call it once for many appends to group-commit them under one fsync. Appends not yet
/// synced are lost if the process or machine dies, and appends not yet flushed are dropped when the
/// writer is deinitialised.
///
/// The writer continues the last existing segment, so open it through ``SpoolDirectory`` (or run
/// ``SpoolRecovery/repair(directory:storage:discardingIntactRecords:)`` first): a torn tail left by a
/// crash would otherwise sit in the middle of the segment. What the last segment holds when the writer
/// opens is taken as durable.
///
/// ## Failures
/// After a failed `write` or `fsync` (a full disk, an I/O error) the writer no longer knows what reached
/// the disk: Linux may even mark the dirty pages of a failed fsync clean, so a later fsync succeeds
/// without writing them. Every append then throws ``SpoolError/Code/writerFailed`` until ``recover()``
/// has cut the segment back to the durable end, fsync'd the cut, and started a fresh segment for what
/// follows. If the cut itself fails the writer is ``isBroken`` for good: only a restart (whose recovery
/// repairs the tail) helps.
///
/// Not thread-safe and not `Sendable`: one owner, the spool writer task.
public final class SpoolWriter {
    /// The directory holding the segments.
    package let directory: String
    /// The size, in bytes, past which the next append starts a new segment.
    package let segmentBytes: Int

    private let storage: any SpoolStorage
    private let compressor: ZstdCompressor
    private var segment: SpoolSegment
    private var file: any SpoolStorageFile
    /// Bytes of the current segment already handed to the kernel.
    private var writtenBytes: UInt64
    /// Records appended but not yet written.
    private var buffer: [UInt8] = []
    private var frame: [UInt8] = []
    /// The first failure since the last ``recover()``: appends are refused until then.
    private var failure: SpoolError?
    /// Why ``recover()`` could not cut the segment back; the writer is unusable.
    private var breakage: SpoolError?
    /// Where the fsync'd data ends, shared with readers.
    package let published: SpoolDurableEnd

    /// The buffer is written once it holds this many bytes, so memory stays bounded between syncs.
    private static let flushThreshold = 1 << 20

    /// Opens the spool in `directory` (which must exist) for appending.
    ///
    /// - Parameters:
    ///   - segmentBytes: once a segment holds at least this many bytes, the next append rotates.
    ///   - level: the zstd compression level; 1 keeps the writer fast.
    /// - Throws: ``SpoolError/Code/invalidArgument`` for a non-positive `segmentBytes` or an
    ///   unsupported level; ``SpoolError/Code/io`` if the directory or segment cannot be opened.
    public convenience init(directory: String, segmentBytes: Int = 64 << 20, level: Int = 1) throws(SpoolError) {
        try self.init(directory: directory, segmentBytes: segmentBytes, level: level, storage: PosixSpoolStorage())
    }

    /// Opens the spool in `directory` on `storage`; see ``init(directory:segmentBytes:level:)``.
    package init(
        directory: String, segmentBytes: Int = 64 << 20, level: Int = 1, storage: any SpoolStorage,
        durableEnd: SpoolDurableEnd = SpoolDurableEnd()
    ) throws(SpoolError) {
        guard segmentBytes > 0 else {
            throw SpoolError(.invalidArgument, "segment size \(segmentBytes) is not positive")
        }
        do {
            compressor = try ZstdCompressor(level: level)
        } catch {
            throw SpoolError(.invalidArgument, "cannot create a compressor: \(error)")
        }
        self.directory = directory
        self.segmentBytes = segmentBytes
        self.storage = storage
        self.published = durableEnd
        if let last = try SpoolSegment.segments(in: directory, storage: storage).last {
            segment = last
            file = try storage.openForAppending(last.path(in: directory))
            writtenBytes = try file.size()
        } else {
            segment = SpoolSegment(number: 0)
            file = try Self.create(segment, in: directory, storage: storage)
            writtenBytes = 0
        }
        durableEnd.advance(to: SpoolPosition(segment: segment.number, offset: writtenBytes))
    }

    /// The position after the last record appended: where the next record will start, unless the
    /// next append rotates to a new segment.
    package var endPosition: SpoolPosition {
        SpoolPosition(segment: segment.number, offset: writtenBytes + UInt64(buffer.count))
    }

    /// The position up to which everything appended is fsync'd (and published to ``published``).
    package var durableEnd: SpoolPosition {
        published.position
    }

    /// Whether an earlier failure must be cleared with ``recover()`` before the next append.
    package var needsRecovery: Bool { failure != nil }

    /// Why the writer cannot be used any more, if it cannot: the cut back to the durable end failed.
    package var isBroken: Bool { breakage != nil }

    /// Compresses `payload` into one record and buffers it, rotating first if the current segment
    /// is full. Returns the position just after the record.
    ///
    /// The record is not durable until ``sync()``.
    ///
    /// - Throws: ``SpoolError/Code/recordTooLarge`` if the compressed payload exceeds 4 GiB;
    ///   ``SpoolError/Code/io`` if rotating or writing fails (the writer then needs ``recover()``);
    ///   ``SpoolError/Code/writerFailed`` after an earlier failure.
    public func append(_ payload: [UInt8]) throws(SpoolError) -> SpoolPosition {
        try checkHealthy()
        frame.removeAll(keepingCapacity: true)
        do {
            try compressor.compress(payload, into: &frame)
        } catch {
            throw SpoolError(.invalidArgument, "cannot compress a \(payload.count)-byte batch: \(error)")
        }
        guard frame.count <= SpoolRecord.maximumFrameBytes else {
            throw SpoolError(.recordTooLarge, "a \(payload.count)-byte batch compresses to \(frame.count) bytes")
        }
        if endPosition.offset >= UInt64(segmentBytes) {
            try rotate(to: SpoolSegment(number: segment.number + 1))
        }
        SpoolRecord.append(frame: frame, to: &buffer)
        let end = endPosition
        if buffer.count >= Self.flushThreshold {
            try flush()
        }
        return end
    }

    /// Writes the buffered records to the current segment, without fsync.
    ///
    /// They are not durable, and a reader limited to the durable end does not see them yet.
    ///
    /// - Throws: ``SpoolError/Code/io`` if `write` fails (the writer then needs ``recover()``).
    public func flush() throws(SpoolError) {
        try checkHealthy()
        guard !buffer.isEmpty else { return }
        do {
            try file.writeAll(buffer)
        } catch {
            failure = error
            throw error
        }
        writtenBytes += UInt64(buffer.count)
        buffer.removeAll(keepingCapacity: buffer.capacity <= 2 * Self.flushThreshold)
    }

    /// Writes the buffered records and fsyncs the current segment: every record appended so far is
    /// then durable, and ``durableEnd`` says so.
    ///
    /// - Throws: ``SpoolError/Code/io`` if `write` or `fsync` fails (the writer then needs ``recover()``).
    public func sync() throws(SpoolError) {
        try flush()
        do {
            try file.sync()
        } catch {
            failure = error
            throw error
        }
        published.advance(to: SpoolPosition(segment: segment.number, offset: writtenBytes))
    }

    /// Makes the writer usable again after a failed write or fsync.
    ///
    /// Drops the records not yet written, cuts the segment back to the durable end (never trusting the
    /// pages a failed fsync may have left behind), fsyncs the cut, and, when the segment holds data,
    /// starts a fresh segment for what follows: a failure to write usually means a full disk, and the
    /// loader can delete the old segment once it has loaded it, which it cannot do to the segment the
    /// writer appends to. Nothing after the durable end was acknowledged, and no reader that keeps to
    /// the durable end has seen it.
    ///
    /// - Throws: the failure of the cut's fsync or of creating the fresh segment (call again later);
    ///   ``SpoolError/Code/writerFailed`` if ``isBroken`` (the cut itself failed, now or before).
    package func recover() throws(SpoolError) {
        if let breakage {
            throw SpoolError(.writerFailed, "the spool could not be cut back to its durable end: \(breakage)")
        }
        guard failure != nil else { return }
        buffer.removeAll(keepingCapacity: true)
        let durable = durableEnd
        if durable.segment == segment.number {
            do {
                try file.truncate(to: durable.offset)
            } catch {
                breakage = error
                throw SpoolError(.writerFailed, "the spool could not be cut back to its durable end: \(error)")
            }
            writtenBytes = durable.offset
            try file.sync()
        }
        if writtenBytes > 0 {
            try beginSegment(SpoolSegment(number: segment.number + 1))
        }
        failure = nil
    }

    /// Makes the next record start in a new segment numbered `number` (at least the next number), unless
    /// the current segment is empty and numbered at least that already.
    ///
    /// Start-up uses it when the committed checkpoint is ahead of the spool (a restored disk, a lost tail):
    /// new records must never be written at or before the checkpoint, where the loader would skip them.
    ///
    /// - Throws: ``SpoolError/Code/io`` if the sync or the creation fails (the writer then needs
    ///   ``recover()``); ``SpoolError/Code/writerFailed`` after an earlier failure.
    package func startSegment(numbered number: UInt64) throws(SpoolError) {
        try checkHealthy()
        if segment.number >= number && endPosition.offset == 0 { return }
        try rotate(to: SpoolSegment(number: max(number, segment.number + 1)))
    }

    /// Finishes the current segment and starts `next`.
    ///
    /// The order matters. The old segment is fsync'd *before* the new one is created, because
    /// recovery repairs only the last segment and the reader treats a short record in an earlier
    /// one as corruption: no segment may gain a successor while its tail can still be torn.
    private func rotate(to next: SpoolSegment) throws(SpoolError) {
        try sync()
        try beginSegment(next)
    }

    /// Creates `next` and makes it the current segment; the current one must be durable up to its end.
    private func beginSegment(_ next: SpoolSegment) throws(SpoolError) {
        do {
            file = try Self.create(next, in: directory, storage: storage)
        } catch {
            failure = error
            throw error
        }
        segment = next
        writtenBytes = 0
        published.advance(to: SpoolPosition(segment: next.number, offset: 0))
    }

    /// Creates a segment's file and fsyncs the directory.
    ///
    /// fsync on a file makes its data durable but not the directory entry that names it (POSIX,
    /// and ext4/XFS in practice): without the directory fsync a crash could lose the whole new
    /// file, and with it records already acknowledged as durable. Doing it here, before any record
    /// is appended, means every later ``sync()`` of the segment needs only the file fsync.
    private static func create(
        _ segment: SpoolSegment, in directory: String, storage: any SpoolStorage
    ) throws(SpoolError) -> any SpoolStorageFile {
        let file = try storage.openForAppending(segment.path(in: directory))
        try storage.syncDirectory(directory)
        return file
    }

    private func checkHealthy() throws(SpoolError) {
        if let failure = breakage ?? failure {
            throw SpoolError(.writerFailed, "an earlier operation failed: \(failure)")
        }
    }
}

@available(*, unavailable)
extension SpoolWriter: Sendable {}
