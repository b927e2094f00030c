import SluiceZstd

/// Appends batches to the spool as ``SpoolRecord``s, rotating to a new segment by size.
///
/// ``append(_:)`` compresses a batch and buffers the record; ``flush()`` hands the buffer to the
/// kernel with `write`; ``sync()`` also fsyncs it. A batch is durable, and its requests may be
/// acknowledged, only after a ``sync()`` that follows its ``append(_:)``: call it once for many
/// appends to group-commit them under one fsync. Appends not yet synced are lost if the process
/// or machine dies, and appends not yet flushed are dropped when the writer is deinitialised.
///
/// The writer continues the last existing segment, so run ``SpoolRecovery/repair(directory:)``
/// first: a torn tail left by a crash would otherwise sit in the middle of the segment.
///
/// After a failed `write` or `fsync` the writer no longer knows what reached the disk (a failed
/// fsync may even have dropped dirty pages), so every later call throws
/// ``SpoolError/Code/writerFailed``; recover by restarting, which repairs the tail.
///
/// Not thread-safe and not `Sendable`: one owner, the spool writer task.
public final class SpoolWriter {
    /// The directory holding the segments.
    package let directory: String
    /// The size, in bytes, past which the next append starts a new segment.
    package let segmentBytes: Int

    private let compressor: ZstdCompressor
    private var segment: SpoolSegment
    private var file: SpoolFile
    /// Bytes of the current segment already handed to the kernel.
    private var writtenBytes: UInt64
    /// Records appended but not yet written.
    private var buffer: [UInt8] = []
    private var frame: [UInt8] = []
    private var failure: SpoolError?

    /// The buffer is written once it holds this many bytes, so memory stays bounded between syncs.
    private static let flushThreshold = 1 << 20

    /// Opens the spool in `directory` (which must exist) for appending.
    ///
    /// - Parameters:
    ///   - segmentBytes: once a segment holds at least this many bytes, the next append rotates.
    ///   - level: the zstd compression level; 1 keeps the writer fast.
    /// - Throws: ``SpoolError/Code/invalidArgument`` for a non-positive `segmentBytes` or an
    ///   unsupported level; ``SpoolError/Code/io`` if the directory or segment cannot be opened.
    public init(directory: String, segmentBytes: Int = 64 << 20, level: Int = 1) throws(SpoolError) {
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
        if let last = try SpoolSegment.segments(in: directory).last {
            segment = last
            file = try SpoolFile.openForAppending(last.path(in: directory))
            writtenBytes = try file.size()
        } else {
            segment = SpoolSegment(number: 0)
            file = try Self.create(segment, in: directory)
            writtenBytes = 0
        }
    }

    /// The position after the last record appended: where the next record will start, unless the
    /// next append rotates to a new segment.
    package var endPosition: SpoolPosition {
        SpoolPosition(segment: segment.number, offset: writtenBytes + UInt64(buffer.count))
    }

    /// Compresses `payload` into one record and buffers it, rotating first if the current segment
    /// is full. Returns the position just after the record.
    ///
    /// The record is not durable until ``sync()``.
    ///
    /// - Throws: ``SpoolError/Code/recordTooLarge`` if the compressed payload exceeds 4 GiB;
    ///   ``SpoolError/Code/io`` if rotating or writing fails (the writer is then failed);
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
            try rotate()
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
    /// Makes them visible to a ``SpoolReader`` but not durable.
    ///
    /// - Throws: ``SpoolError/Code/io`` if `write` fails (the writer is then failed).
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
    /// then durable.
    ///
    /// - Throws: ``SpoolError/Code/io`` if `write` or `fsync` fails (the writer is then failed).
    public func sync() throws(SpoolError) {
        try flush()
        do {
            try file.sync()
        } catch {
            failure = error
            throw error
        }
    }

    /// Finishes the current segment and starts the next.
    ///
    /// The order matters. The old segment is fsync'd *before* the new one is created, because
    /// recovery repairs only the last segment and the reader treats a short record in an earlier
    /// one as corruption: no segment may gain a successor while its tail can still be torn.
    private func rotate() throws(SpoolError) {
        try sync()
        let next = SpoolSegment(number: segment.number + 1)
        do {
            file = try Self.create(next, in: directory)
        } catch {
            failure = error
            throw error
        }
        segment = next
        writtenBytes = 0
    }

    /// Creates a segment's file and fsyncs the directory.
    ///
    /// fsync on a file makes its data durable but not the directory entry that names it (POSIX,
    /// and ext4/XFS in practice): without the directory fsync a crash could lose the whole new
    /// file, and with it records already acknowledged as durable. Doing it here, before any record
    /// is appended, means every later ``sync()`` of the segment needs only the file fsync.
    private static func create(_ segment: SpoolSegment, in directory: String) throws(SpoolError) -> SpoolFile {
        let file = try SpoolFile.openForAppending(segment.path(in: directory))
        try SpoolFile.syncDirectory(directory)
        return file
    }

    private func checkHealthy() throws(SpoolError) {
        if let failure {
            throw SpoolError(.writerFailed, "an earlier operation failed: \(failure)")
        }
    }
}

@available(*, unavailable)
extension SpoolWriter: Sendable {}
