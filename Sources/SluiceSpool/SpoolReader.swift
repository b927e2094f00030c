import SluiceZstd

/// Reads the spool's records in order, starting after a checkpoint.
///
/// ``next(upTo:)`` returns each batch with the position just after it, crossing from one segment to the
/// next, and nil once it has caught up with the data it may read; call it again later to pick up records
/// appended since. A record that is present in full but fails its CRC or zstd check is an error, never
/// skipped: skipping it would silently lose acknowledged events.
///
/// ## Reading a live spool
/// Records reach the segment file (a buffer flush) before they are fsync'd, and a power loss keeps only
/// what was fsync'd. A reader that hands records to the loader must therefore stop at the *durable end*
/// the writer publishes after each fsync (``SpoolDurableEnd``): pass it as `limit`. A checkpoint committed
/// past it could name data that a power loss takes back. Without a limit the reader goes to the end of
/// the files, which is right only for a spool no writer appends to, or one whose contents were all made
/// durable at start-up (``SpoolDirectory/open(_:storage:)``).
///
/// A segment is final (the writer never appends to it again, and it was fsync'd whole) once the limit is
/// in a later segment, or, reading without a limit, once a later segment exists. A record cut short in a
/// final segment is corruption; at the live end it is a record still being written (nil, try later).
///
/// ## Resuming past lost data
/// If the segment the starting position names is shorter than the position, or gone while later segments
/// exist (a restored disk, a lost tail: the checkpoint is ahead of the spool), the reader starts at the
/// next segment instead and says so in ``skipped``: the records the checkpoint passed are in PostgreSQL,
/// and start-up has made the writer append after the checkpoint (``SpoolDirectory/openWriter(segmentBytes:level:after:)``).
/// Once a record has been returned, a short or missing segment is an error again.
///
/// Not thread-safe and not `Sendable`: one owner, the loader.
package final class SpoolReader {
    /// The directory holding the segments.
    package let directory: String
    /// The most bytes one batch may decompress to.
    package let maximumBatchBytes: Int
    /// The position after the last record returned, or the starting position.
    package private(set) var position: SpoolPosition
    /// Where the reader jumped from and to when its starting position lay past the data its segment holds.
    package private(set) var skipped: (from: SpoolPosition, to: SpoolPosition)?

    private let storage: any SpoolStorage
    private let decompressor: ZstdDecompressor
    /// The open segment `position.segment`, or nil before it has been opened.
    private var file: (any SpoolStorageFile)?
    /// Whether a record has been returned; until then a starting position past the data may be skipped.
    private var resumed = false

    /// Creates a reader whose first record is the one starting at `position`.
    ///
    /// A position at offset 0 of a segment that does not exist (deleted, or not created yet)
    /// starts at the first segment after it.
    ///
    /// - Throws: ``SpoolError/Code/invalidArgument`` for a negative `maximumBatchBytes`.
    package init(
        directory: String, from position: SpoolPosition, maximumBatchBytes: Int,
        storage: any SpoolStorage = PosixSpoolStorage()
    ) throws(SpoolError) {
        do {
            decompressor = try ZstdDecompressor(maximumOutputBytes: maximumBatchBytes)
        } catch {
            throw SpoolError(.invalidArgument, "cannot create a decompressor: \(error)")
        }
        self.directory = directory
        self.maximumBatchBytes = maximumBatchBytes
        self.position = position
        self.storage = storage
    }

    /// The next batch whose record ends at or before `limit`, and the position just after it, or nil if no
    /// complete record follows yet.
    ///
    /// After a throw the position is unchanged, so the same call fails again.
    ///
    /// - Parameter limit: the writer's durable end for a live spool; ``SpoolPosition/end`` (the default)
    ///   reads to the end of the files.
    /// - Throws: ``SpoolError/Code/corruptRecord`` for a damaged record; ``SpoolError/Code/recordTooLarge``
    ///   if the batch decompresses to more than ``maximumBatchBytes``;
    ///   ``SpoolError/Code/missingSegment`` if the position's segment is gone;
    ///   ``SpoolError/Code/io`` if a read fails.
    package func next(upTo limit: SpoolPosition = .end) throws(SpoolError) -> (payload: [UInt8], end: SpoolPosition)? {
        while true {
            guard position < limit, let file = try openCurrentSegment(limit: limit) else { return nil }
            let size = try file.size()
            let offset = position.offset
            guard size >= offset else {
                if !resumed {
                    guard let later = try laterSegment(limit: limit) else { return nil }
                    skip(to: later)
                    continue
                }
                throw corrupt("segment is \(size) bytes, shorter than the position")
            }
            let end = position.segment < limit.segment ? size : min(size, limit.offset)
            if end == offset {
                guard try isFinal(file, size: size, limit: limit), let later = try laterSegment(limit: limit) else {
                    return nil
                }
                move(to: SpoolPosition(segment: later.number, offset: 0))
                continue
            }
            if end - offset < UInt64(SpoolRecord.headerSize) {
                return try incomplete("\(end - offset) bytes, too short for a record header", limit)
            }
            let header = try file.read(count: SpoolRecord.headerSize, at: offset)
            if header.count < SpoolRecord.headerSize {
                return try incomplete("\(header.count) bytes, too short for a record header", limit)
            }
            guard let parsed = SpoolRecord.parseHeader(header[...]) else {
                throw corrupt("no record header (bad magic, version or reserved bytes)")
            }
            let frameStart = offset + UInt64(SpoolRecord.headerSize)
            // Checked before reading, so a torn length field cannot make us allocate gigabytes.
            let currentEnd = position.segment < limit.segment ? try file.size() : min(try file.size(), limit.offset)
            let available = currentEnd > frameStart ? currentEnd - frameStart : 0
            if UInt64(parsed.frameLength) > available {
                return try incomplete("\(available) of the \(parsed.frameLength) frame bytes", limit)
            }
            let frame = try file.read(count: parsed.frameLength, at: frameStart)
            if frame.count < parsed.frameLength {
                return try incomplete("\(frame.count) of the \(parsed.frameLength) frame bytes", limit)
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
            resumed = true
            return (payload, position)
        }
    }

    /// Whether the current segment will never grow again.
    ///
    /// With a limit in a later segment, the writer has fsync'd this one whole and moved on. Reading without
    /// a limit, a later segment must exist (the writer fsyncs a segment before creating the next) and this
    /// one must not have grown since `size` was taken.
    private func isFinal(_ file: any SpoolStorageFile, size: UInt64, limit: SpoolPosition) throws(SpoolError) -> Bool {
        if limit != .end { return position.segment < limit.segment }
        guard try laterSegment(limit: limit) != nil else { return false }
        return try file.size() == size
    }

    /// Handles a record cut short at `position`: nil (the writer is still writing it) at the live end,
    /// corruption in a final segment.
    private func incomplete(
        _ what: String, _ limit: SpoolPosition
    ) throws(SpoolError) -> (payload: [UInt8], end: SpoolPosition)? {
        var final = position.segment < limit.segment
        if limit == .end {
            final = try laterSegment(limit: limit) != nil
        }
        if final {
            throw corrupt("record cut short (\(what)) in a segment that has a successor")
        }
        return nil
    }

    private func openCurrentSegment(limit: SpoolPosition) throws(SpoolError) -> (any SpoolStorageFile)? {
        if let file { return file }
        while true {
            let path = SpoolSegment(number: position.segment).path(in: directory)
            if let opened = try storage.openForReading(path) {
                file = opened
                return opened
            }
            guard let later = try laterSegment(limit: limit) else {
                if position.offset == 0 || !resumed { return nil }
                throw SpoolError(.missingSegment, "\(path) is gone but the position \(position) is inside it")
            }
            if position.offset == 0 {
                position = SpoolPosition(segment: later.number, offset: 0)
            } else if !resumed {
                skip(to: later)
            } else {
                throw SpoolError(.missingSegment, "\(path) is gone but the position \(position) is inside it")
            }
        }
    }

    /// The first segment numbered after the current position's, if it exists and is within `limit`.
    private func laterSegment(limit: SpoolPosition) throws(SpoolError) -> SpoolSegment? {
        let later = try SpoolSegment.segments(in: directory, storage: storage).first { $0.number > position.segment }
        guard let later, later.number <= limit.segment else { return nil }
        return later
    }

    /// Starts at `later` because the starting position lies past the data its segment holds.
    private func skip(to later: SpoolSegment) {
        let target = SpoolPosition(segment: later.number, offset: 0)
        skipped = (from: skipped?.from ?? position, to: target)
        move(to: target)
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
