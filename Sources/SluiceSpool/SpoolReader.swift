import SluiceZstd

/// Reads the spool's records in order, starting after a checkpoint.
///
/// ``next()`` returns each batch with the position just after it, crossing from one segment to the
/// next, and nil once it has caught up with the data written so far; call it again later to pick
/// up records appended since. A record that is present in full but fails its CRC or zstd check is
/// an error, never skipped: skipping it would silently lose acknowledged events. A record cut
/// short is the live end of the spool in the last segment (nil, try later) but corruption in an
/// earlier one, which was fsync'd whole before its successor existed.
///
/// Not thread-safe and not `Sendable`: one owner, the loader.
package final class SpoolReader {
    /// The directory holding the segments.
    package let directory: String
    /// The most bytes one batch may decompress to.
    package let maximumBatchBytes: Int
    /// The position after the last record returned, or the starting position.
    package private(set) var position: SpoolPosition

    private let decompressor: ZstdDecompressor
    /// The open segment `position.segment`, or nil before it has been opened.
    private var file: SpoolFile?

    /// Creates a reader whose first record is the one starting at `position`.
    ///
    /// A position at offset 0 of a segment that does not exist (deleted, or not created yet)
    /// starts at the first segment after it.
    ///
    /// - Throws: ``SpoolError/Code/invalidArgument`` for a negative `maximumBatchBytes`.
    package init(directory: String, from position: SpoolPosition, maximumBatchBytes: Int) throws(SpoolError) {
        do {
            decompressor = try ZstdDecompressor(maximumOutputBytes: maximumBatchBytes)
        } catch {
            throw SpoolError(.invalidArgument, "cannot create a decompressor: \(error)")
        }
        self.directory = directory
        self.maximumBatchBytes = maximumBatchBytes
        self.position = position
    }

    /// The next batch and the position just after it, or nil if no complete record follows yet.
    ///
    /// After a throw the position is unchanged, so the same call fails again.
    ///
    /// - Throws: ``SpoolError/Code/corruptRecord`` for a damaged record; ``SpoolError/Code/recordTooLarge``
    ///   if the batch decompresses to more than ``maximumBatchBytes``;
    ///   ``SpoolError/Code/missingSegment`` if the position's segment is gone;
    ///   ``SpoolError/Code/io`` if a read fails.
    package func next() throws(SpoolError) -> (payload: [UInt8], end: SpoolPosition)? {
        while true {
            guard let file = try openCurrentSegment() else { return nil }
            let size = try file.size()
            let offset = position.offset
            guard size >= offset else {
                throw corrupt("segment is \(size) bytes, shorter than the position")
            }
            if size == offset {
                // The writer fsyncs a segment before creating the next, so once a later segment
                // exists this one is final, but only if it has not grown since `size` was taken.
                guard let later = try laterSegment(), try file.size() == offset else { return nil }
                move(to: SpoolPosition(segment: later.number, offset: 0))
                continue
            }
            let header = try file.read(count: SpoolRecord.headerSize, at: offset)
            if header.count < SpoolRecord.headerSize {
                return try incomplete("\(header.count) bytes, too short for a record header")
            }
            guard let parsed = SpoolRecord.parseHeader(header[...]) else {
                throw corrupt("no record header (bad magic, version or reserved bytes)")
            }
            let frameStart = offset + UInt64(SpoolRecord.headerSize)
            // Checked before reading, so a torn length field cannot make us allocate gigabytes.
            let currentSize = try file.size()
            let available = currentSize > frameStart ? currentSize - frameStart : 0
            if UInt64(parsed.frameLength) > available {
                return try incomplete("\(available) of the \(parsed.frameLength) frame bytes")
            }
            let frame = try file.read(count: parsed.frameLength, at: frameStart)
            if frame.count < parsed.frameLength {
                return try incomplete("\(frame.count) of the \(parsed.frameLength) frame bytes")
            }
            guard SpoolRecord.isIntact(header: parsed, headerBytes: header[...], frame: frame[...]) else {
                throw corrupt("CRC-32C mismatch over a \(parsed.frameLength)-byte frame")
            }
            var payload: [UInt8] = []
            do {
                try decompressor.decompress(frame, into: &payload)
            } catch  where error.code == .sizeLimitExceeded {
                throw SpoolError(
                    .recordTooLarge,
                    "\(location): batch exceeds the \(maximumBatchBytes)-byte limit: \(error)"
                )
            } catch {
                throw corrupt("zstd frame does not decode: \(error)")
            }
            position.offset = frameStart + UInt64(parsed.frameLength)
            return (payload, position)
        }
    }

    /// Handles a record cut short at `position`: nil (the writer is still writing it) in the last
    /// segment, corruption in any earlier one.
    private func incomplete(_ what: String) throws(SpoolError) -> (payload: [UInt8], end: SpoolPosition)? {
        if try laterSegment() != nil {
            throw corrupt("record cut short (\(what)) in a segment that has a successor")
        }
        return nil
    }

    private func openCurrentSegment() throws(SpoolError) -> SpoolFile? {
        if let file { return file }
        while true {
            let path = SpoolSegment(number: position.segment).path(in: directory)
            if let opened = try SpoolFile.openForReading(path) {
                file = opened
                return opened
            }
            guard position.offset == 0 else {
                throw SpoolError(.missingSegment, "\(path) is gone but the position \(position) is inside it")
            }
            guard let later = try laterSegment() else { return nil }
            position = SpoolPosition(segment: later.number, offset: 0)
        }
    }

    /// The first segment numbered after the current position's.
    private func laterSegment() throws(SpoolError) -> SpoolSegment? {
        try SpoolSegment.segments(in: directory).first { $0.number > position.segment }
    }

    private func move(to next: SpoolPosition) {
        position = next
        file = nil
    }

    private var location: String {
        "\(SpoolSegment(number: position.segment).path(in: directory)) at \(position.offset)"
    }

    private func corrupt(_ what: String) -> SpoolError {
        SpoolError(.corruptRecord, "\(location): \(what)")
    }
}

@available(*, unavailable)
extension SpoolReader: Sendable {}
