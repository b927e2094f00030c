import Foundation
import SluiceSpool
import SluiceZstd
import Testing

/// CRC-32C bit by bit from the Castagnoli polynomial (reflected, 0x82F63B78): written here from the definition,
/// apart from the spool's table-driven code, so the layout test does not take the checksum from the code it checks.
private func castagnoli(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 {
            crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1
        }
    }
    return ~crc
}

private func littleEndian(_ value: UInt32) -> [UInt8] {
    (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
}

/// One spool record built by hand as docs/architecture.md lays it out: magic `SLSP`, version 1, three reserved
/// zero bytes, the frame length little-endian, the CRC-32C of header bytes 0..<12 and the frame, the frame.
private func handBuiltRecord(frame: [UInt8]) -> [UInt8] {
    let head: [UInt8] = [0x53, 0x4C, 0x53, 0x50, 1, 0, 0, 0] + littleEndian(UInt32(frame.count))
    return head + littleEndian(castagnoli(head + frame)) + frame
}

/// A segment file's path as the documentation names it: the segment number in 20 digits, then `.seg`.
private func segmentPath(_ number: Int, in directory: String) -> String {
    directory + "/" + String(repeating: "0", count: 20 - String(number).count) + String(number) + ".seg"
}

private func write(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The spool's on-disk format pinned from the documentation, byte by byte, in both directions.
@Suite struct SpoolRecordLayoutTests {
    @Test func theTestsOwnCRC32CMatchesPublishedCheckValues() {
        #expect(castagnoli(Array("123456789".utf8)) == 0xE306_9283)
        // RFC 3720 (iSCSI), appendix B.4.
        #expect(castagnoli([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(castagnoli([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(castagnoli((0..<32).map { UInt8($0) }) == 0x46DD_794E)
    }

    @Test func theReaderAcceptsHandBuiltRecords() throws {
        try withSpoolDirectory { directory in
            let payloads = [TestPayload.bytes(count: 3_000, seed: 1), Array("a second batch".utf8)]
            let frames = try payloads.map { try ZstdCompressor.compress($0) }
            let first = handBuiltRecord(frame: frames[0])
            let second = handBuiltRecord(frame: frames[1])
            try write(first + second, to: segmentPath(0, in: directory))
            try write(handBuiltRecord(frame: frames[0]), to: segmentPath(7, in: directory))

            let records = try readAll(directory)
            #expect(records.map(\.payload) == [payloads[0], payloads[1], payloads[0]])
            #expect(
                records.map(\.end) == [
                    SpoolPosition(segment: 0, offset: UInt64(first.count)),
                    SpoolPosition(segment: 0, offset: UInt64(first.count + second.count)),
                    SpoolPosition(segment: 7, offset: UInt64(first.count)),
                ]
            )
        }
    }

    @Test func theReaderRejectsEveryFlippedByteOfARecord() throws {
        let frame = try ZstdCompressor.compress(Array(#"{"type":"track","event":"Flipped"}"#.utf8))
        let record = handBuiltRecord(frame: frame)
        let follower = handBuiltRecord(frame: try ZstdCompressor.compress(Array("after".utf8)))
        for offset in 0..<record.count {
            try withSpoolDirectory { directory in
                var damaged = record
                damaged[offset] ^= 0x01
                // A later segment exists, so this one is complete: a damaged record cannot be a write in progress.
                try write(damaged, to: segmentPath(0, in: directory))
                try write(follower, to: segmentPath(1, in: directory))
                let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1 << 20)
                let error = #expect(throws: SpoolError.self, "byte \(offset) flipped") { try reader.next() }
                #expect(error?.code == .corruptRecord, "byte \(offset) flipped")
            }
        }
    }

    @Test func theWriterWritesTheDocumentedLayout() throws {
        try withSpoolDirectory { directory in
            let payloads = [TestPayload.bytes(count: 5_000, seed: 2), TestPayload.incompressible(count: 700, seed: 3)]
            let writer = try SpoolWriter(directory: directory)
            let ends = try payloads.map { try writer.append($0) }
            try writer.sync()

            let bytes = try [UInt8](#require(FileManager.default.contents(atPath: segmentPath(0, in: directory))))
            #expect(ends.last == SpoolPosition(segment: 0, offset: UInt64(bytes.count)))
            // The frames are the writer's (zstd output is the compressor's business); everything around them
            // must be exactly the documented envelope.
            var offset = 0
            for (payload, end) in zip(payloads, ends) {
                let header = Array(bytes[offset..<offset + 16])
                let length = Int(header[8]) | Int(header[9]) << 8 | Int(header[10]) << 16 | Int(header[11]) << 24
                let frame = Array(bytes[(offset + 16)..<(offset + 16 + length)])
                #expect(Array(bytes[offset..<offset + 16 + length]) == handBuiltRecord(frame: frame))
                #expect(try ZstdDecompressor.decompress(frame, maximumOutputBytes: payload.count) == payload)
                // Content checksum flag (bit 2) and a content size (single segment, bit 5, or a size field).
                let descriptor = frame[4]
                #expect(descriptor & 0x04 != 0, "the frame's content checksum is on")
                #expect(descriptor & 0x20 != 0 || descriptor >> 6 != 0, "the frame declares its content size")
                offset += 16 + length
                #expect(end == SpoolPosition(segment: 0, offset: UInt64(offset)))
            }
            #expect(offset == bytes.count)
        }
    }
}
