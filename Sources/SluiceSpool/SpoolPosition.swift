/// A place in the spool: a byte offset inside a numbered segment.
///
/// The reader returns the position just after each record; that is what the loader commits with
/// the rows as its checkpoint and what a new ``SpoolReader`` resumes from. Positions order by
/// segment, then offset, which is the order records were written in.
public struct SpoolPosition: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The segment number, as in the segment's file name.
    package var segment: UInt64
    /// The byte offset inside the segment.
    package var offset: UInt64

    package init(segment: UInt64, offset: UInt64) {
        self.segment = segment
        self.offset = offset
    }

    /// The start of the spool: before every record of every segment.
    package static let start = SpoolPosition(segment: 0, offset: 0)

    /// After every position: as a reading limit, "up to the end of the files".
    package static let end = SpoolPosition(segment: .max, offset: .max)

    /// Earlier segment first, then smaller offset.
    public static func < (lhs: SpoolPosition, rhs: SpoolPosition) -> Bool {
        (lhs.segment, lhs.offset) < (rhs.segment, rhs.offset)
    }

    /// For example `3:4096`.
    public var description: String {
        "\(segment):\(offset)"
    }

    /// ``description``, the form positions are kept in files.
    package var text: String { description }

    /// Parses ``text`` (surrounding white space allowed); nil for anything else.
    package init?(text: String) {
        let parts = text.split(whereSeparator: \.isWhitespace).first?.split(separator: ":") ?? []
        guard parts.count == 2, let segment = UInt64(parts[0]), let offset = UInt64(parts[1]) else { return nil }
        self.init(segment: segment, offset: offset)
    }
}
