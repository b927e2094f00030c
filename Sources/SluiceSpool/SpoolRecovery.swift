/// Start-up repair of the spool: cuts a torn or corrupt tail off the last segment.
///
/// A crash can leave the last segment ending in part of a record (a `write` that did not finish)
/// or in a record whose bytes never all reached the disk (only fsync'd records are acknowledged,
/// so none of those were). Earlier segments are left alone: each was fsync'd whole before its
/// successor was created.
package enum SpoolRecovery {
    /// What ``repair(directory:)`` found.
    package struct RecoveryReport: Sendable, Equatable {
        /// The segment examined, or nil if the directory holds none.
        package var segment: SpoolSegment?
        /// The intact records the segment holds after repair.
        package var records: Int
        /// The end of the last intact record: where the segment was cut, or its unchanged length.
        package var validBytes: UInt64
        /// The bytes cut from the tail; 0 when the segment was intact.
        package var truncatedBytes: UInt64
        /// Intact records found after the damage and cut with it (only with `discardingIntactRecords`).
        package var discardedIntactRecords: Int

        /// Whether anything was cut.
        package var didTruncate: Bool {
            truncatedBytes > 0
        }
    }

    /// Scans the last segment in `directory` and truncates it to the end of its last intact record
    /// (ftruncate, then fsync so the cut survives another crash).
    ///
    /// Run it before creating a ``SpoolWriter``.
    ///
    /// By default it refuses to cut when an intact record follows the first damaged one. A crash
    /// tears only the unsynced end of the file, and ext4 (`data=ordered`) and XFS normally advance
    /// the on-disk size only once the data under it is written, so a damaged record with a good one
    /// after it most likely means damage inside fsync'd, possibly acknowledged data; cutting there
    /// would discard the good records behind it. An operator who has accepted that loss passes
    /// `discardingIntactRecords: true`; the report then counts what was discarded.
    ///
    /// The damaged tail is read into memory to look for intact records, so this needs up to
    /// about one segment's size of memory.
    ///
    /// - Throws: ``SpoolError/Code/corruptRecord`` for damage followed by an intact record, unless
    ///   `discardingIntactRecords`; ``SpoolError/Code/io`` if a file cannot be listed, read,
    ///   truncated or fsync'd.
    package static func repair(
        directory: String,
        storage: any SpoolStorage = PosixSpoolStorage(),
        discardingIntactRecords: Bool = false
    ) throws(SpoolError) -> RecoveryReport {
        guard let segment = try SpoolSegment.segments(in: directory, storage: storage).last else {
            return RecoveryReport(segment: nil, records: 0, validBytes: 0, truncatedBytes: 0, discardedIntactRecords: 0)
        }
        let path = segment.path(in: directory)
        let file = try storage.openForUpdate(path)
        let size = try file.size()
        var offset: UInt64 = 0
        var records = 0
        var discardedRecords = 0
        while offset < size, let end = try intactRecordEnd(in: file, at: offset, size: size) {
            offset = end
            records += 1
        }
        if offset < size {
            let tail = try file.read(count: Int(size - offset), at: offset)
            let discarded = intactRecords(in: tail)
            if let first = discarded.first, !discardingIntactRecords {
                throw SpoolError(
                    .corruptRecord,
                    "\(path) at \(offset): damaged record followed by \(discarded.count) intact one(s), the first at "
                        + "\(offset + UInt64(first)); not truncating"
                )
            }
            try file.truncate(to: offset)
            try file.sync()
            discardedRecords = discarded.count
        }
        return RecoveryReport(
            segment: segment,
            records: records,
            validBytes: offset,
            truncatedBytes: size - offset,
            discardedIntactRecords: discardedRecords
        )
    }

    /// The end of the record at `offset` if it is complete and intact, else nil.
    private static func intactRecordEnd(in file: any SpoolStorageFile, at offset: UInt64, size: UInt64)
        throws(SpoolError)
        -> UInt64?
    {
        guard size - offset >= UInt64(SpoolRecord.headerSize) else { return nil }
        let header = try file.read(count: SpoolRecord.headerSize, at: offset)
        guard let parsed = SpoolRecord.parseHeader(header[...]) else { return nil }
        let frameStart = offset + UInt64(SpoolRecord.headerSize)
        guard UInt64(parsed.frameLength) <= size - frameStart else { return nil }
        let frame = try file.read(count: parsed.frameLength, at: frameStart)
        guard SpoolRecord.isIntact(header: parsed, headerBytes: header[...], frame: frame[...]) else { return nil }
        return frameStart + UInt64(parsed.frameLength)
    }

    /// The start indices of the intact records in `bytes` after its first byte (the damaged
    /// record), found by trying every occurrence of the magic and skipping past each hit.
    private static func intactRecords(in bytes: [UInt8]) -> [Int] {
        var found: [Int] = []
        var index = 1
        while index + SpoolRecord.headerSize <= bytes.count {
            if bytes[index] == SpoolRecord.magic[0], let header = SpoolRecord.parseHeader(bytes[index...]) {
                let frameStart = index + SpoolRecord.headerSize
                if header.frameLength <= bytes.count - frameStart {
                    let frameEnd = frameStart + header.frameLength
                    if SpoolRecord.isIntact(
                        header: header, headerBytes: bytes[index...], frame: bytes[frameStart..<frameEnd])
                    {
                        found.append(index)
                        index = frameEnd
                        continue
                    }
                }
            }
            index += 1
        }
        return found
    }
}
