import SluiceCore

/// Counts the tuples of a whole PostgreSQL binary `COPY` stream (header, tuples, trailer) fed in pieces of
/// any size, checking its framing as it goes.
///
/// What the retention job runs over an archive after writing it (decompressed from the file, not from
/// memory) and what `sluice archive restore` runs before it changes anything: a file that was cut short, or
/// whose bytes are not a `COPY` stream, fails here with the offset of the damage. Values are not checked
/// against their column types; PostgreSQL does that when they are loaded.
///
/// The layout (PostgreSQL docs, "COPY — Binary Format"): the 11-byte signature `PGCOPY\n\377\r\n\0`, a 32-bit
/// flags field, a 32-bit header-extension length and that many bytes; each tuple a 16-bit field count, then
/// per field a 32-bit length (−1 for NULL) and the value; the trailer a 16-bit −1. Integers are big-endian.
public struct CopyStreamCounter: Sendable {
    /// The signature every binary `COPY` stream starts with.
    public static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    /// Tuples seen so far.
    public private(set) var tuples = 0
    /// Bytes fed so far.
    public private(set) var offset = 0
    /// Every tuple must have this many fields, when set.
    public let expectedFieldCount: Int?

    private enum State: Sendable {
        /// Gathering the 19 fixed header bytes.
        case header
        /// Skipping the header extension, or a field's value.
        case skipping(Int, then: Next)
        /// Gathering a tuple's 2-byte field count.
        case fieldCount
        /// Gathering a field's 4-byte length; `left` fields of the tuple remain after this one.
        case fieldLength(left: Int)
        /// The trailer was read; nothing may follow.
        case ended
    }

    private enum Next: Sendable {
        case fieldCount
        case fieldLength(left: Int)
    }

    private var state: State = .header
    /// The bytes of the fixed-size integer being gathered.
    private var pending: [UInt8] = []

    public init(expectedFieldCount: Int? = nil) {
        self.expectedFieldCount = expectedFieldCount
        pending.reserveCapacity(19)
    }

    /// Whether the trailer has been read.
    public var isComplete: Bool {
        if case .ended = state { return true }
        return false
    }

    /// Walks `bytes`, the next piece of the stream.
    /// - Throws: ``FormatError`` at the first byte that cannot belong to a binary `COPY` stream; every later
    ///   call throws again.
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(FormatError) {
        var index = bytes.startIndex
        while index != bytes.endIndex {
            switch state {
            case .ended:
                throw FormatError(.trailingBytes, at: offset, "bytes after the trailer")
            case .skipping(let count, let next):
                let available = bytes.distance(from: index, to: bytes.endIndex)
                let taken = min(count, available)
                index = bytes.index(index, offsetBy: taken)
                offset += taken
                if taken == count {
                    switch next {
                    case .fieldCount: state = .fieldCount
                    case .fieldLength(let left): state = .fieldLength(left: left)
                    }
                } else {
                    state = .skipping(count - taken, then: next)
                }
            case .header, .fieldCount, .fieldLength:
                pending.append(bytes[index])
                index = bytes.index(after: index)
                offset += 1
                try advance()
            }
        }
    }

    /// Checks that the stream ended with its trailer.
    /// - Returns: the number of tuples.
    /// - Throws: ``FormatError`` (`.truncated`) when the stream stopped before its trailer.
    public func finish() throws(FormatError) -> Int {
        guard isComplete else {
            throw FormatError(.truncated, at: offset, "the stream ends before its trailer (\(tuples) tuples read)")
        }
        return tuples
    }

    /// Counts the tuples of a whole stream held in memory.
    public static func count(_ bytes: some Collection<UInt8>, expectedFieldCount: Int? = nil) throws(FormatError) -> Int
    {
        var counter = CopyStreamCounter(expectedFieldCount: expectedFieldCount)
        try counter.feed(bytes)
        return try counter.finish()
    }

    /// Acts on a completed fixed-size integer.
    private mutating func advance() throws(FormatError) {
        switch state {
        case .header:
            guard pending.count == 19 else {
                if pending.count <= Self.signature.count, pending.last != Self.signature[pending.count - 1] {
                    throw FormatError(.badSignature, at: offset - 1, "not a PostgreSQL binary COPY stream")
                }
                return
            }
            let flags = Self.int32(pending, 11)
            // Bit 16 says OIDs are included (before PostgreSQL 12); other bits below 16 are critical flags.
            guard flags & 0x0001_FFFF == 0 else {
                throw FormatError(.badHeader, at: 11, "header flags 0x\(String(UInt32(bitPattern: flags), radix: 16))")
            }
            let extensionLength = Int(Self.int32(pending, 15))
            guard extensionLength >= 0 else {
                throw FormatError(.badHeader, at: 15, "header extension length \(extensionLength)")
            }
            pending.removeAll(keepingCapacity: true)
            state = extensionLength == 0 ? .fieldCount : .skipping(extensionLength, then: .fieldCount)
        case .fieldCount:
            guard pending.count == 2 else { return }
            let count = Int(Int16(bitPattern: UInt16(pending[0]) << 8 | UInt16(pending[1])))
            pending.removeAll(keepingCapacity: true)
            if count == -1 {
                state = .ended
                return
            }
            let start = offset - 2
            guard count >= 0 else { throw FormatError(.invalidFieldCount, at: start, "field count \(count)") }
            if let expectedFieldCount, count != expectedFieldCount {
                throw FormatError(
                    .invalidFieldCount, at: start, "a tuple of \(count) fields, \(expectedFieldCount) expected"
                )
            }
            tuples += 1
            state = count == 0 ? .fieldCount : .fieldLength(left: count - 1)
        case .fieldLength(let left):
            guard pending.count == 4 else { return }
            let length = Int(Self.int32(pending, 0))
            pending.removeAll(keepingCapacity: true)
            let next: Next = left == 0 ? .fieldCount : .fieldLength(left: left - 1)
            if length == -1 || length == 0 {
                switch next {
                case .fieldCount: state = .fieldCount
                case .fieldLength(let left): state = .fieldLength(left: left)
                }
            } else if length > 0 {
                state = .skipping(length, then: next)
            } else {
                throw FormatError(.invalidFieldLength, at: offset - 4, "field length \(length)")
            }
        case .skipping, .ended:
            return
        }
    }

    private static func int32(_ bytes: [UInt8], _ at: Int) -> Int32 {
        var value: UInt32 = 0
        for index in at..<at + 4 { value = value << 8 | UInt32(bytes[index]) }
        return Int32(bitPattern: value)
    }

    /// The error a damaged stream throws.
    public typealias FormatError = CopyFormatError
}
