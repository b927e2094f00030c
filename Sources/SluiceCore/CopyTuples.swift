/// Walks the tuples of PostgreSQL's binary `COPY` format in a byte buffer, without copying them.
///
/// The bytes are tuples back to back, with no stream header or trailer: what ``CopyEncoder`` writes between
/// ``CopyEncoder/writeHeader()`` and ``CopyEncoder/writeTrailer()``, and what each spool record of Sluice
/// holds. A tuple is a big-endian `Int16` field count, then per field a big-endian `Int32` length (−1 for
/// NULL) followed by that many bytes.
///
/// ``next()`` checks every length against the end of the range before it moves on, so bytes that are
/// truncated or damaged make it throw a ``FormatError`` naming the offset, never read out of bounds or trap.
/// A tuple it returned is known to be well framed; its fields are then found by walking its lengths again,
/// which is cheap for the few fields a caller reads (the loader reads three of twenty-eight).
///
/// The values are not checked against column types here: PostgreSQL does that when it receives them.
public struct CopyTuples: Sendable {
    /// The buffer walked; shared, not copied.
    public let bytes: [UInt8]
    /// The part of ``bytes`` that holds the tuples.
    public let range: Range<Int>
    /// Where the next tuple starts; ``range``'s upper bound once every tuple has been returned.
    public private(set) var offset: Int
    /// Bytes of the requested range beyond the end of the buffer, reported by the last ``next()``.
    private let truncatedBy: Int

    /// A walker over the tuples in `range` of `bytes` (all of `bytes` when nil).
    ///
    /// A range reaching outside `bytes` is clamped to it, so the first ``next()`` reports the shortfall.
    public init(_ bytes: [UInt8], in range: Range<Int>? = nil) {
        let requested = range ?? bytes.indices
        let lower = min(max(requested.lowerBound, 0), bytes.count)
        let upper = min(max(requested.upperBound, lower), bytes.count)
        self.bytes = bytes
        self.range = lower..<upper
        self.offset = lower
        self.truncatedBy = max(requested.upperBound - upper, 0)
    }

    /// The next tuple, or nil at the end of the range.
    ///
    /// After a throw ``offset`` stays at the start of the damaged tuple, and every later call throws again.
    ///
    /// - Throws: ``FormatError`` when the tuple runs past the end of the range or has a negative field count
    ///   or field length other than −1.
    public mutating func next() throws(FormatError) -> Tuple? {
        guard offset < range.upperBound else {
            if truncatedBy > 0 {
                throw FormatError(.truncated, at: offset, "the range ends \(truncatedBy) bytes past the buffer")
            }
            return nil
        }
        let start = offset
        var position = start
        guard range.upperBound - position >= 2 else {
            throw FormatError(.truncated, at: start, "a tuple needs a 2-byte field count")
        }
        let fieldCount = Int(Self.readInt16(bytes, at: position))
        guard fieldCount >= 0 else {
            throw FormatError(.invalidFieldCount, at: start, "field count \(fieldCount) (a trailer inside the tuples?)")
        }
        position += 2
        for field in 0..<fieldCount {
            guard range.upperBound - position >= 4 else {
                throw FormatError(.truncated, at: start, "field \(field) of \(fieldCount) has no length")
            }
            let length = Int(Self.readInt32(bytes, at: position))
            position += 4
            if length == -1 { continue }
            guard length >= 0 else {
                throw FormatError(.invalidFieldLength, at: start, "field \(field) has length \(length)")
            }
            guard range.upperBound - position >= length else {
                throw FormatError(
                    .truncated, at: start,
                    "field \(field) needs \(length) bytes, \(range.upperBound - position) are left"
                )
            }
            position += length
        }
        offset = position
        return Tuple(bytes: bytes, range: start..<position, fieldCount: fieldCount)
    }

    /// Walks every tuple of the range and returns how many there are.
    ///
    /// - Throws: ``FormatError`` for the first damaged tuple.
    public static func count(_ bytes: [UInt8], in range: Range<Int>? = nil) throws(FormatError) -> Int {
        var tuples = CopyTuples(bytes, in: range)
        var count = 0
        while try tuples.next() != nil { count += 1 }
        return count
    }

    // MARK: - Tuple

    /// One well-framed tuple: where it lies in the buffer and how to reach its fields.
    public struct Tuple: Sendable {
        /// The buffer the tuple lies in.
        public let bytes: [UInt8]
        /// The tuple's bytes in ``bytes``, from its field count to the end of its last field.
        public let range: Range<Int>
        /// The number of fields.
        public let fieldCount: Int

        /// The bytes of the tuple, as one slice of ``bytes``.
        public var slice: ArraySlice<UInt8> { bytes[range] }

        /// The value bytes of field `index` (from 0), without the length; nil for NULL.
        ///
        /// - Throws: ``FormatError`` with code ``FormatError/Code/noSuchField`` when the tuple has fewer fields.
        public func field(_ index: Int) throws(FormatError) -> ArraySlice<UInt8>? {
            guard index >= 0, index < fieldCount else {
                throw FormatError(.noSuchField, at: range.lowerBound, "field \(index) of a \(fieldCount)-field tuple")
            }
            // The framing was checked when the tuple was read, so the lengths stay inside `range`.
            var position = range.lowerBound + 2
            for _ in 0..<index {
                let length = Int(CopyTuples.readInt32(bytes, at: position))
                position += 4 + max(length, 0)
            }
            let length = Int(CopyTuples.readInt32(bytes, at: position))
            position += 4
            return length < 0 ? nil : bytes[position..<position + length]
        }

        /// Field `index` as an `int8`: nil for NULL.
        ///
        /// - Throws: ``FormatError`` when there is no such field or it is not 8 bytes long.
        public func int64(_ index: Int) throws(FormatError) -> Int64? {
            guard let value = try field(index) else { return nil }
            guard value.count == 8 else {
                throw FormatError(
                    .invalidValue, at: range.lowerBound, "field \(index) is \(value.count) bytes, an int8 takes 8"
                )
            }
            return CopyTuples.readInt64(bytes, at: value.startIndex)
        }

        /// Field `index` as `text`, decoded as UTF-8 (invalid sequences become U+FFFD); nil for NULL.
        ///
        /// - Throws: ``FormatError`` when there is no such field.
        public func string(_ index: Int) throws(FormatError) -> String? {
            guard let value = try field(index) else { return nil }
            return String(decoding: value, as: UTF8.self)
        }

        /// Field `index` as a `timestamptz` (microseconds since 2000-01-01 UTC on the wire); nil for NULL.
        ///
        /// - Throws: ``FormatError`` when there is no such field, it is not 8 bytes long, or it lies outside
        ///   what ``Timestamp`` holds (PostgreSQL's `infinity` and `-infinity` among them).
        public func timestamp(_ index: Int) throws(FormatError) -> Timestamp? {
            guard let microseconds = try int64(index) else { return nil }
            let (unix, overflow) = microseconds.addingReportingOverflow(Timestamp.postgresEpochOffset)
            guard !overflow, microseconds != .max, microseconds != .min else {
                throw FormatError(
                    .invalidValue, at: range.lowerBound, "field \(index) is an infinite or unrepresentable timestamp"
                )
            }
            return Timestamp(unixMicroseconds: unix)
        }

        /// `project_id`, field ``CopyTuples/projectIDField`` of an `analytics.events` tuple.
        public func projectID() throws(FormatError) -> Int64? { try int64(CopyTuples.projectIDField) }

        /// `message_id`, field ``CopyTuples/messageIDField`` of an `analytics.events` tuple.
        public func messageID() throws(FormatError) -> String? { try string(CopyTuples.messageIDField) }

        /// `timestamp`, field ``CopyTuples/timestampField`` of an `analytics.events` tuple.
        public func timestamp() throws(FormatError) -> Timestamp? { try timestamp(CopyTuples.timestampField) }

        /// `received_at`, field ``CopyTuples/receivedAtField`` of an `analytics.events` tuple.
        public func receivedAt() throws(FormatError) -> Timestamp? { try timestamp(CopyTuples.receivedAtField) }
    }

    /// The field index of `project_id` in ``EventRow/columns``.
    public static let projectIDField = 0
    /// The field index of `message_id` in ``EventRow/columns``.
    public static let messageIDField = 1
    /// The field index of `timestamp` in ``EventRow/columns``.
    public static let timestampField = 9
    /// The field index of `received_at` in ``EventRow/columns``.
    public static let receivedAtField = 10

    // MARK: - Errors

    /// The error every read of the tuples throws.
    public typealias FormatError = CopyFormatError

    // MARK: - Big-endian reads (callers check the bounds first)

    @inline(__always)
    static func readInt16(_ bytes: [UInt8], at offset: Int) -> Int16 {
        Int16(bitPattern: UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]))
    }

    @inline(__always)
    static func readInt32(_ bytes: [UInt8], at offset: Int) -> Int32 {
        var value: UInt32 = 0
        for index in offset..<offset + 4 { value = value << 8 | UInt32(bytes[index]) }
        return Int32(bitPattern: value)
    }

    @inline(__always)
    static func readInt64(_ bytes: [UInt8], at offset: Int) -> Int64 {
        var value: UInt64 = 0
        for index in offset..<offset + 8 { value = value << 8 | UInt64(bytes[index]) }
        return Int64(bitPattern: value)
    }
}
