import SluiceCore
import SluiceRetention
import Testing

@Suite struct CopyStreamCounterTests {
    /// A whole binary COPY stream of `count` event rows, as PostgreSQL sends one.
    func stream(rows count: Int) -> [UInt8] {
        var encoder = CopyEncoder(capacity: 4096)
        encoder.writeHeader()
        for index in 0..<count {
            encoder.append(
                EventRow(
                    projectID: 1, messageID: "m\(index)", type: .track, event: index % 2 == 0 ? "Signed Up" : nil,
                    userID: "u\(index)", timestamp: Timestamp(unixMicroseconds: Int64(index) * 1_000_000),
                    receivedAt: Timestamp(unixMicroseconds: 0), properties: #"{"plan":"pro"}"#
                )
            )
        }
        encoder.writeTrailer()
        return encoder.bytes
    }

    @Test func countsTheTuplesWhateverThePieces() throws {
        let bytes = stream(rows: 5)
        #expect(try CopyStreamCounter.count(bytes, expectedFieldCount: EventRow.columns.count) == 5)
        for piece in [1, 2, 3, 7, 64] {
            var counter = CopyStreamCounter()
            var start = 0
            while start < bytes.count {
                try counter.feed(bytes[start..<min(start + piece, bytes.count)])
                start += piece
            }
            #expect(try counter.finish() == 5, "pieces of \(piece)")
        }
        #expect(try CopyStreamCounter.count(stream(rows: 0)) == 0)
    }

    @Test func refusesEveryTruncation() {
        let bytes = stream(rows: 3)
        for length in 0..<bytes.count {
            #expect(throws: CopyStreamCounter.FormatError.self, "cut at \(length)") {
                _ = try CopyStreamCounter.count(bytes[0..<length])
            }
        }
    }

    @Test func refusesDamage() {
        var bytes = stream(rows: 2)
        #expect(throws: CopyStreamCounter.FormatError.self) { _ = try CopyStreamCounter.count(bytes + [0]) }
        #expect(throws: CopyStreamCounter.FormatError.self) {
            _ = try CopyStreamCounter.count(bytes, expectedFieldCount: 3)
        }
        bytes[0] = UInt8(ascii: "X")
        do {
            _ = try CopyStreamCounter.count(bytes)
            Issue.record("a stream without the signature was counted")
        } catch {
            #expect(error.code == .badSignature && error.offset == 0)
        }
        var longField = stream(rows: 1)
        // The first field's length (after 19 header bytes and the 2-byte field count) made negative.
        longField[21] = 0xFF
        #expect(throws: CopyStreamCounter.FormatError.self) { _ = try CopyStreamCounter.count(longField) }
    }
}
