/// One segment file of the spool: `NNNNNNNNNNNNNNNNNNNN.seg`, the segment number zero-padded to 20
/// digits (all of `UInt64`), so names sort the way numbers do.
///
/// A segment is a sequence of ``SpoolRecord``s, back to back from offset 0, with no file header.
/// Only the last segment (highest number) is ever appended to; every earlier one is complete and
/// was fsync'd before its successor was created.
package struct SpoolSegment: Hashable, Sendable {
    /// The segment number.
    package var number: UInt64

    package init(number: UInt64) {
        self.number = number
    }

    /// The file name, for example `00000000000000000003.seg`.
    package var fileName: String {
        let digits = String(number)
        return String(repeating: "0", count: 20 - digits.count) + digits + ".seg"
    }

    /// The path of this segment's file in `directory`.
    package func path(in directory: String) -> String {
        directory.hasSuffix("/") ? directory + fileName : directory + "/" + fileName
    }

    /// The segment a file name names, or nil if `fileName` is not exactly 20 digits and `.seg`.
    package init?(fileName: String) {
        let utf8 = Array(fileName.utf8)
        guard utf8.count == 24, fileName.hasSuffix(".seg"),
            utf8[..<20].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let number = UInt64(String(decoding: utf8[..<20], as: UTF8.self))
        else {
            return nil
        }
        self.number = number
    }

    /// The segments in `directory`, in ascending order. Other files are ignored.
    ///
    /// - Throws: ``SpoolError/Code/io`` if the directory cannot be listed.
    package static func segments(
        in directory: String, storage: any SpoolStorage = PosixSpoolStorage()
    ) throws(SpoolError) -> [SpoolSegment] {
        try storage.names(inDirectory: directory)
            .compactMap { SpoolSegment(fileName: $0) }
            .sorted { $0.number < $1.number }
    }

    /// The bytes all segments in `directory` take, for the disk budget.
    ///
    /// - Throws: ``SpoolError/Code/io`` if the directory cannot be listed or a segment cannot be
    ///   examined.
    package static func totalBytes(
        in directory: String, storage: any SpoolStorage = PosixSpoolStorage()
    ) throws(SpoolError) -> UInt64 {
        var total: UInt64 = 0
        for segment in try segments(in: directory, storage: storage) {
            total += try storage.size(of: segment.path(in: directory))
        }
        return total
    }

    /// Deletes the segments that lie wholly before `position`: those numbered below
    /// `position.segment`. Returns the segments deleted.
    ///
    /// Pass the loader's committed checkpoint. The checkpoint's own segment is kept even when the
    /// checkpoint is at its end, because a reader resuming from it opens that segment first; the loader
    /// moves a checkpoint at the end of a finished segment to the start of its successor so that the
    /// finished one can go.
    /// The directory is fsync'd afterwards so the space is reliably reclaimed; a crash before that
    /// only leaves segments that the next call deletes again.
    ///
    /// - Throws: ``SpoolError/Code/io`` if a segment cannot be removed.
    @discardableResult
    package static func deleteSegments(
        in directory: String,
        before position: SpoolPosition,
        storage: any SpoolStorage = PosixSpoolStorage()
    ) throws(SpoolError) -> [SpoolSegment] {
        let doomed = try segments(in: directory, storage: storage).filter { $0.number < position.segment }
        for segment in doomed {
            try storage.remove(segment.path(in: directory))
        }
        if !doomed.isEmpty {
            try storage.syncDirectory(directory)
        }
        return doomed
    }
}
