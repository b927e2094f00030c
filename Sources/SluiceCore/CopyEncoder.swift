import Foundation

/// Encodes rows in PostgreSQL's binary `COPY` format into one reusable byte buffer.
///
/// A stream is ``writeHeader()``, then per row ``beginRow(fieldCount:)`` followed by exactly that many field
/// appends (in the column order of the `COPY` statement), then ``writeTrailer()``. Each field is a 32-bit
/// big-endian length (−1 for NULL) and the value in the column type's binary send format, so the caller must
/// pick the append that matches the column's type: `Int16` for `int2`, `Int32` for `int4`, `Int64` for
/// `int8`, and so on. The encoder checks neither the field count nor the types; PostgreSQL rejects a
/// mismatch for the whole `COPY`.
///
/// The bytes accumulate in one array whose capacity is reserved up front. A sender hands ``bytes`` (or
/// ``withUnsafeBytes(_:)``) to libpq and then calls ``removeAll()``, which keeps the capacity: the loader
/// encodes millions of rows through the same buffer, so after warm-up no field and no row allocates.
///
/// A single field must stay below 2 GiB (PostgreSQL itself limits a value to 1 GB); a larger one traps.
public struct CopyEncoder: Sendable {
    /// The encoded bytes of the current chunk.
    @usableFromInline var storage: [UInt8]
    /// Rows begun since the last header.
    @usableFromInline var rows: Int

    /// An empty encoder whose buffer holds `capacity` bytes before it has to grow.
    ///
    /// Pick a little more than the chunk size the bytes are flushed at, so the row that crosses it fits.
    public init(capacity: Int = 1 << 20) {
        storage = []
        storage.reserveCapacity(capacity)
        rows = 0
    }

    /// The bytes encoded since the last ``removeAll()``.
    ///
    /// Hold on to the array only briefly: appending while another reference to it is alive copies the buffer.
    public var bytes: [UInt8] { storage }

    /// Calls `body` with the bytes encoded since the last ``removeAll()``, without copying them.
    public func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        // Array.withUnsafeBytes is `rethrows`, which would widen the error to `any Error`; the buffer pointer's
        // lifetime is the same either way.
        try storage.withUnsafeBufferPointer { buffer throws(Failure) in try body(UnsafeRawBufferPointer(buffer)) }
    }

    /// The number of bytes encoded since the last ``removeAll()``.
    public var count: Int { storage.count }

    /// The number of bytes the buffer holds before it has to grow.
    public var capacity: Int { storage.capacity }

    /// The number of rows begun since the last ``writeHeader()`` (or since creation), across ``removeAll()``
    /// calls: the rows of the current `COPY` stream, however many times its bytes were flushed.
    public var rowCount: Int { rows }

    /// Discards the encoded bytes and keeps the buffer's capacity for the next ones; ``rowCount`` is kept.
    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
    }

    // MARK: - Stream framing

    /// The 11-byte signature that opens every binary `COPY` stream: `PGCOPY\n\377\r\n\0`.
    static let signature: [UInt8] = [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]

    /// Writes the stream header (signature, flags 0 — no OIDs — and an empty header extension) and starts
    /// counting rows from zero.
    public mutating func writeHeader() {
        storage.append(contentsOf: Self.signature)
        appendBigEndian(UInt32(0))
        appendBigEndian(UInt32(0))
        rows = 0
    }

    /// Writes the stream trailer, a field count of −1.
    public mutating func writeTrailer() {
        appendBigEndian(Int16(-1))
    }

    /// Starts a row of `fieldCount` fields; exactly that many appends must follow.
    @inlinable
    public mutating func beginRow(fieldCount: Int) {
        appendBigEndian(Int16(fieldCount))
        rows += 1
    }

    // MARK: - Fields

    /// Appends SQL NULL: a length of −1 and no value.
    @inlinable
    public mutating func appendNull() {
        appendBigEndian(Int32(-1))
    }

    /// Appends an `int2`.
    @inlinable
    public mutating func append(_ value: Int16) {
        appendBigEndian(Int32(2))
        appendBigEndian(value)
    }

    /// Appends an `int4`.
    @inlinable
    public mutating func append(_ value: Int32) {
        appendBigEndian(Int32(4))
        appendBigEndian(value)
    }

    /// Appends an `int8`.
    @inlinable
    public mutating func append(_ value: Int64) {
        appendBigEndian(Int32(8))
        appendBigEndian(value)
    }

    /// Appends a `bool`: one byte, 1 or 0.
    @inlinable
    public mutating func append(_ value: Bool) {
        appendBigEndian(Int32(1))
        storage.append(value ? 1 : 0)
    }

    /// Appends a `float8`: the IEEE 754 bit pattern, big-endian, so NaN, ±infinity and −0.0 survive exactly.
    @inlinable
    public mutating func append(_ value: Double) {
        appendBigEndian(Int32(8))
        appendBigEndian(value.bitPattern)
    }

    /// Appends an `int2`, or NULL for nil.
    @inlinable
    public mutating func append(_ value: Int16?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Appends an `int4`, or NULL for nil.
    @inlinable
    public mutating func append(_ value: Int32?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Appends an `int8`, or NULL for nil.
    @inlinable
    public mutating func append(_ value: Int64?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Appends a `bool`, or NULL for nil.
    @inlinable
    public mutating func append(_ value: Bool?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Appends a `float8`, or NULL for nil.
    @inlinable
    public mutating func append(_ value: Double?) {
        if let value { append(value) } else { appendNull() }
    }

    /// Appends a `text` (or `varchar`) value as its UTF-8 bytes, or NULL for nil.
    ///
    /// The text must not contain U+0000, which PostgreSQL does not store in text; it rejects the `COPY`.
    @inlinable
    public mutating func append(text: String?) {
        guard let text else { return appendNull() }
        appendBigEndian(Int32(text.utf8.count))
        appendUTF8(text)
    }

    /// Appends a `jsonb` value from its JSON text, or NULL for nil.
    ///
    /// The send format is a version byte (1) followed by the JSON text; the server parses the text, so
    /// invalid JSON fails the `COPY` there.
    @inlinable
    public mutating func append(jsonb json: String?) {
        guard let json else { return appendNull() }
        appendBigEndian(Int32(json.utf8.count + 1))
        storage.append(1)
        appendUTF8(json)
    }

    /// Appends a `timestamptz` (or `timestamp`), or NULL for nil.
    ///
    /// The wire value counts microseconds from PostgreSQL's epoch, 2000-01-01 00:00:00 UTC, not from the
    /// Unix epoch; ``Timestamp/postgresMicroseconds`` shifts it.
    @inlinable
    public mutating func append(_ value: Timestamp?) {
        guard let value else { return appendNull() }
        appendBigEndian(Int32(8))
        appendBigEndian(value.postgresMicroseconds)
    }

    /// Appends a `uuid`: its 16 bytes in order, or NULL for nil.
    @inlinable
    public mutating func append(_ value: UUID?) {
        guard let value else { return appendNull() }
        appendBigEndian(Int32(16))
        Swift.withUnsafeBytes(of: value.uuid) { storage.append(contentsOf: $0) }
    }

    /// Appends an `inet`, or NULL for nil.
    ///
    /// The send format is: address family, prefix length in bits, an `is_cidr` flag (0 for `inet`), the
    /// address length in bytes, then the address in network order. The family byte is PostgreSQL's own
    /// `PGSQL_AF_INET` (2) or `PGSQL_AF_INET6` (3), not the operating system's `AF_INET`/`AF_INET6`: those
    /// differ between platforms (`AF_INET6` is 10 on Linux, 30 on macOS), so PostgreSQL fixes its own values.
    @inlinable
    public mutating func append(_ value: InetAddress?) {
        guard let value else { return appendNull() }
        let addressLength = value.bytes.count
        appendBigEndian(Int32(4 + addressLength))
        storage.append(value.family == .v4 ? 2 : 3)
        storage.append(value.prefixLength)
        storage.append(0)
        storage.append(UInt8(addressLength))
        storage.append(contentsOf: value.bytes)
    }

    // MARK: - Internals

    /// Appends `value` in network byte order, straight into the buffer.
    ///
    /// One byte at a time, most significant first: once specialized the loop unrolls into plain stores, and
    /// in a release build it encoded event rows about 25 % faster than copying the bytes of `value.bigEndian`
    /// with `append(contentsOf:)` (1.35M against 1.05M rows/s on the 2-core dev machine).
    @inlinable
    mutating func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer) {
        var shift = Integer.bitWidth - 8
        while shift >= 0 {
            storage.append(UInt8(truncatingIfNeeded: value >> shift))
            shift -= 8
        }
    }

    /// Appends the UTF-8 bytes of `text`, with one copy from the string's own storage when it is contiguous
    /// (native Swift strings always are).
    @inlinable
    mutating func appendUTF8(_ text: String) {
        let copied: Void? = text.utf8.withContiguousStorageIfAvailable { storage.append(contentsOf: $0) }
        if copied == nil { storage.append(contentsOf: text.utf8) }
    }
}
