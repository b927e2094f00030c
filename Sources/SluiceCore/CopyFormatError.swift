/// Bytes that are not well-formed PostgreSQL binary `COPY` data: a damaged stream (its signature, header,
/// tuples or trailer), or a field that is not the value asked for.
///
/// Thrown by ``CopyTuples`` when it walks the tuples of a batch and by the retention archive's stream
/// counter when it checks a whole stream; one type, so a caller that reads both handles one error.
public struct CopyFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of damage was found.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        /// A tuple, a field or the stream runs past the end of the bytes (for a stream: it ends before
        /// its trailer).
        public static let truncated = Code(name: "truncated")
        /// A negative field count, or one that the table's tuples do not have.
        public static let invalidFieldCount = Code(name: "invalid field count")
        /// A field length below −1.
        public static let invalidFieldLength = Code(name: "invalid field length")
        /// A field index at or past the tuple's field count.
        public static let noSuchField = Code(name: "no such field")
        /// A field whose bytes are not a value of the type asked for.
        public static let invalidValue = Code(name: "invalid value")
        /// The stream does not start with `PGCOPY\n\377\r\n\0`.
        public static let badSignature = Code(name: "bad signature")
        /// The header's flags or extension length cannot be read.
        public static let badHeader = Code(name: "bad header")
        /// Bytes follow the trailer.
        public static let trailingBytes = Code(name: "trailing bytes")

        public var description: String { name }
    }

    public let code: Code
    /// The offset of the damage: in a batch of tuples, the start of the tuple it is in; in a stream, the
    /// byte where it was found.
    public let offset: Int
    public let message: String

    public init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    /// For example `malformed COPY data at byte 4096 (truncated): field 3 needs 12 bytes, 5 are left`.
    public var description: String { "malformed COPY data at byte \(offset) (\(code)): \(message)" }
}
