/// The on-disk layout of one spool record: one batch, a 16-byte header then a zstd frame.
///
/// | Offset | Size | Field                                                                    |
/// |-------:|-----:|--------------------------------------------------------------------------|
/// |      0 |    4 | magic `SLSP` (`53 4C 53 50`)                                             |
/// |      4 |    1 | format version, 1                                                        |
/// |      5 |    3 | reserved, zero                                                           |
/// |      8 |    4 | frame length N in bytes, `UInt32` little-endian                          |
/// |     12 |    4 | CRC-32C of header bytes 0..<12 then the N frame bytes, little-endian     |
/// |     16 |    N | one zstd frame of the batch payload, content size and checksum flag set  |
///
/// The zstd frame's own checksum covers only the decompressed content and is checked only after
/// decoding. The header CRC covers the header's own fields and the compressed bytes, so recovery
/// can tell, cheaply and without decoding, a complete record from a torn one, including a header
/// whose length field was itself torn or flipped.
enum SpoolRecord {
    /// The header size in bytes.
    static let headerSize = 16
    static let magic: [UInt8] = [0x53, 0x4C, 0x53, 0x50]
    static let version: UInt8 = 1
    /// The largest frame a header can describe.
    static let maximumFrameBytes = Int(UInt32.max)

    /// A parsed header.
    struct Header {
        /// The length of the zstd frame that follows the header.
        var frameLength: Int
        /// The CRC-32C the header records.
        var checksum: UInt32
    }

    /// Appends a record holding `frame` to `output`.
    ///
    /// - Precondition: `frame.count <= maximumFrameBytes`.
    static func append(frame: [UInt8], to output: inout [UInt8]) {
        let start = output.count
        output += magic
        output += [version, 0, 0, 0]
        appendLittleEndian(UInt32(frame.count), to: &output)
        var crc = CRC32C()
        crc.update(output[start...])
        crc.update(frame)
        appendLittleEndian(crc.value, to: &output)
        output += frame
    }

    /// Parses the first ``headerSize`` bytes of `bytes`, or returns nil if they do not hold a
    /// header of this format (wrong magic, version or reserved bytes).
    static func parseHeader(_ bytes: ArraySlice<UInt8>) -> Header? {
        guard bytes.count >= headerSize else { return nil }
        let base = bytes.startIndex
        guard bytes[base..<base + 4].elementsEqual(magic), bytes[base + 4] == version,
            bytes[base + 5] == 0, bytes[base + 6] == 0, bytes[base + 7] == 0
        else {
            return nil
        }
        return Header(
            frameLength: Int(readLittleEndian(bytes, at: base + 8)),
            checksum: readLittleEndian(bytes, at: base + 12)
        )
    }

    /// Whether `frame` is the frame `header` (parsed from `headerBytes`) describes: its length and
    /// the CRC-32C over the header fields and the frame match.
    static func isIntact(header: Header, headerBytes: ArraySlice<UInt8>, frame: ArraySlice<UInt8>) -> Bool {
        guard frame.count == header.frameLength else { return false }
        var crc = CRC32C()
        crc.update(headerBytes.prefix(12))
        crc.update(frame)
        return crc.value == header.checksum
    }

    private static func appendLittleEndian(_ value: UInt32, to output: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { output += $0 }
    }

    private static func readLittleEndian(_ bytes: ArraySlice<UInt8>, at index: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { value, shift in value | UInt32(bytes[index + shift]) << (8 * shift) }
    }
}
