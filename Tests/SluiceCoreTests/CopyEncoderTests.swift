import Foundation
import SluiceCore
import Testing

/// Byte-exact checks of the binary COPY encoding against values worked out by hand from the PostgreSQL docs
/// ("COPY — File Formats — Binary Format") and each type's send function.
@Suite struct CopyEncoderTests {
    /// The bytes one call appends to an empty encoder.
    private func encoded(_ write: (inout CopyEncoder) -> Void) -> [UInt8] {
        var encoder = CopyEncoder(capacity: 64)
        write(&encoder)
        return encoder.bytes
    }

    @Test func headerIsSignatureThenZeroFlagsAndExtension() {
        let expected: [UInt8] = [
            0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00,  // PGCOPY\n\377\r\n\0
            0, 0, 0, 0,  // flags: no OIDs
            0, 0, 0, 0,  // header extension length
        ]
        #expect(encoded { $0.writeHeader() } == expected)
    }

    @Test func trailerIsMinusOneFieldCount() {
        #expect(encoded { $0.writeTrailer() } == [0xFF, 0xFF])
    }

    @Test func rowStartsWithBigEndianFieldCountAndCountsRows() {
        var encoder = CopyEncoder()
        encoder.writeHeader()
        encoder.beginRow(fieldCount: 3)
        encoder.beginRow(fieldCount: 300)
        #expect(Array(encoder.bytes.suffix(4)) == [0x00, 0x03, 0x01, 0x2C])
        #expect(encoder.rowCount == 2)
        encoder.writeHeader()
        #expect(encoder.rowCount == 0)
    }

    @Test func nullIsLengthMinusOneWithNoValue() {
        #expect(encoded { $0.appendNull() } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(text: nil) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(jsonb: nil) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(nil as Int64?) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(nil as Timestamp?) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(nil as UUID?) } == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(nil as InetAddress?) } == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func integersAreBigEndianTwosComplement() {
        #expect(encoded { $0.append(Int16(0x0102)) } == [0, 0, 0, 2, 0x01, 0x02])
        #expect(encoded { $0.append(Int16(-2)) } == [0, 0, 0, 2, 0xFF, 0xFE])
        #expect(encoded { $0.append(Int16.min) } == [0, 0, 0, 2, 0x80, 0x00])
        #expect(encoded { $0.append(Int32(0x0102_0304)) } == [0, 0, 0, 4, 0x01, 0x02, 0x03, 0x04])
        #expect(encoded { $0.append(Int32(-1)) } == [0, 0, 0, 4, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(Int32.min) } == [0, 0, 0, 4, 0x80, 0, 0, 0])
        #expect(
            encoded { $0.append(Int64(0x0102_0304_0506_0708)) } == [0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8]
        )
        #expect(
            encoded { $0.append(Int64(-2)) } == [0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]
        )
        #expect(encoded { $0.append(Int64.max) } == [0, 0, 0, 8, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(encoded { $0.append(Int32(7) as Int32?) } == [0, 0, 0, 4, 0, 0, 0, 7])
    }

    @Test func boolIsOneByte() {
        #expect(encoded { $0.append(true) } == [0, 0, 0, 1, 1])
        #expect(encoded { $0.append(false) } == [0, 0, 0, 1, 0])
        #expect(encoded { $0.append(nil as Bool?) } == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test func float8IsTheBigEndianBitPattern() {
        #expect(encoded { $0.append(1.5) } == [0, 0, 0, 8, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])
        #expect(encoded { $0.append(-0.0) } == [0, 0, 0, 8, 0x80, 0, 0, 0, 0, 0, 0, 0])
        #expect(encoded { $0.append(Double.infinity) } == [0, 0, 0, 8, 0x7F, 0xF0, 0, 0, 0, 0, 0, 0])
        #expect(encoded { $0.append(Double.nan) } == [0, 0, 0, 8, 0x7F, 0xF8, 0, 0, 0, 0, 0, 0])
    }

    @Test func timestampCountsMicrosecondsFrom2000() {
        let postgresEpoch = Timestamp(unixMicroseconds: 946_684_800_000_000)
        #expect(encoded { $0.append(postgresEpoch) } == [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0])
        // 1970-01-01 is -946684800000000 µs = 0xFFFCA2FEC4C82000.
        let unixEpoch = Timestamp(unixMicroseconds: 0)
        #expect(encoded { $0.append(unixEpoch) } == [0, 0, 0, 8, 0xFF, 0xFC, 0xA2, 0xFE, 0xC4, 0xC8, 0x20, 0x00])
        let oneMicrosecondLater = Timestamp(unixMicroseconds: 946_684_800_000_001)
        #expect(encoded { $0.append(oneMicrosecondLater) } == [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1])
    }

    @Test func uuidIsItsSixteenBytes() {
        let uuid = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")!
        #expect(
            encoded { $0.append(uuid) } == [
                0, 0, 0, 16, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD,
                0xEE, 0xFF,
            ]
        )
    }

    @Test func textIsUTF8WithByteLength() {
        #expect(encoded { $0.append(text: "héllo") } == [0, 0, 0, 6, 0x68, 0xC3, 0xA9, 0x6C, 0x6C, 0x6F])
        #expect(encoded { $0.append(text: "") } == [0, 0, 0, 0])
        let family = "👩‍👩‍👧"
        #expect(encoded { $0.append(text: family) } == [0, 0, 0, 18] + Array(family.utf8))
        #expect(encoded { $0.append(text: "Grüße, 東京") } == [0, 0, 0, 15] + Array("Grüße, 東京".utf8))
    }

    @Test func jsonbIsVersionByteThenText() {
        #expect(encoded { $0.append(jsonb: #"{"a":1}"#) } == [0, 0, 0, 8, 1] + Array(#"{"a":1}"#.utf8))
        #expect(encoded { $0.append(jsonb: "") } == [0, 0, 0, 1, 1])
    }

    @Test func inetUsesPostgresFamilyConstants() throws {
        let network = try #require(InetAddress("192.168.0.0/16"))
        // PGSQL_AF_INET = 2, bits 16, is_cidr 0, 4 address bytes.
        #expect(encoded { $0.append(network) } == [0, 0, 0, 8, 2, 16, 0, 4, 192, 168, 0, 0])
        let host = try #require(InetAddress("10.1.2.3"))
        #expect(encoded { $0.append(host) } == [0, 0, 0, 8, 2, 32, 0, 4, 10, 1, 2, 3])
        let v6 = try #require(InetAddress("2001:db8::1"))
        // PGSQL_AF_INET6 = 3 (not Linux's AF_INET6 = 10), bits 128, 16 address bytes.
        #expect(
            encoded { $0.append(v6) } == [
                0, 0, 0, 20, 3, 128, 0, 16, 0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
            ]
        )
        let v6Network = try #require(InetAddress("2001:db8::/32"))
        #expect(Array(encoded { $0.append(v6Network) }.prefix(8)) == [0, 0, 0, 20, 3, 32, 0, 16])
    }

    @Test func removeAllKeepsCapacityAndRowCount() {
        var encoder = CopyEncoder(capacity: 4096)
        let capacity = encoder.capacity
        #expect(capacity >= 4096)
        encoder.writeHeader()
        for index in 0..<100 {
            encoder.beginRow(fieldCount: 1)
            encoder.append(Int64(index))
        }
        #expect(encoder.count == 19 + 100 * 14)
        encoder.removeAll()
        #expect(encoder.count == 0)
        #expect(encoder.capacity == capacity)
        #expect(encoder.rowCount == 100)
        encoder.beginRow(fieldCount: 1)
        encoder.append(Int64(1))
        #expect(encoder.bytes == [0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(encoder.capacity == capacity)
    }

    @Test func withUnsafeBytesSeesTheSameBytes() {
        var encoder = CopyEncoder()
        encoder.append(Int32(258))
        let copied = encoder.withUnsafeBytes { Array($0) }
        #expect(copied == [0, 0, 0, 4, 0, 0, 1, 2])
    }

    @Test func eventRowEncodesEveryColumnInOrder() throws {
        let row = EventRow(
            projectID: 7, messageID: "m-1", type: .track, event: "Signed Up", userID: "u-1",
            sessionID: UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF"),
            timestamp: Timestamp(unixMicroseconds: 946_684_800_000_001), receivedAt: Timestamp(unixMicroseconds: 0),
            pagePath: "/pricing", isBot: true, ip: InetAddress("203.0.113.0/24"), properties: #"{"plan":"pro"}"#
        )
        var encoder = CopyEncoder()
        encoder.append(row)
        #expect(encoder.rowCount == 1)
        let fields = try Self.decodeRow(encoder.bytes)
        #expect(fields.count == EventRow.columns.count)
        func field(_ column: String) throws -> [UInt8]? {
            fields[try #require(EventRow.columns.firstIndex(of: column))]
        }
        #expect(try field("project_id") == [0, 0, 0, 0, 0, 0, 0, 7])
        #expect(try field("message_id") == Array("m-1".utf8))
        #expect(try field("type") == Array("track".utf8))
        #expect(try field("event") == Array("Signed Up".utf8))
        #expect(try field("user_id") == Array("u-1".utf8))
        #expect(try field("anonymous_id") == nil)
        #expect(try field("session_id")?.count == 16)
        #expect(try field("timestamp") == [0, 0, 0, 0, 0, 0, 0, 1])
        #expect(try field("received_at") == [0xFF, 0xFC, 0xA2, 0xFE, 0xC4, 0xC8, 0x20, 0x00])
        #expect(try field("sent_at") == nil)
        #expect(try field("page_path") == Array("/pricing".utf8))
        #expect(try field("device_type") == nil)
        #expect(try field("is_bot") == [1])
        #expect(try field("ip") == [2, 24, 0, 4, 203, 0, 113, 0])
        #expect(try field("properties") == [1] + Array(#"{"plan":"pro"}"#.utf8))
        #expect(try field("traits") == nil)
        #expect(try field("context") == nil)
    }

    /// Splits one encoded row into its field values (nil for NULL), checking the framing on the way.
    private static func decodeRow(_ bytes: [UInt8]) throws -> [[UInt8]?] {
        var offset = 0
        func integer(_ width: Int) throws -> Int64 {
            try #require(offset + width <= bytes.count)
            var value: Int64 = 0
            for byte in bytes[offset..<offset + width] { value = value << 8 | Int64(byte) }
            offset += width
            let shift = Int64(64 - 8 * width)
            return (value << shift) >> shift  // sign-extend
        }
        let fieldCount = try integer(2)
        var fields: [[UInt8]?] = []
        for _ in 0..<fieldCount {
            let length = try integer(4)
            if length == -1 {
                fields.append(nil)
                continue
            }
            try #require(length >= 0 && offset + Int(length) <= bytes.count)
            fields.append(Array(bytes[offset..<offset + Int(length)]))
            offset += Int(length)
        }
        #expect(offset == bytes.count, "bytes left after the last field")
        return fields
    }
}

/// The text COPY line of an `EventRow`, which must load exactly the rows the binary encoding does.
@Suite struct EventRowCopyTextTests {
    private static func line(_ row: EventRow) -> String {
        var buffer: [UInt8] = []
        row.appendCopyText(to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// The text of one column of `row`'s line.
    private static func column(_ name: String, of row: EventRow) throws -> String {
        let line = Self.line(row)
        #expect(line.hasSuffix("\n"))
        let fields = line.dropLast().split(separator: "\t", omittingEmptySubsequences: false)
        #expect(fields.count == EventRow.columns.count)
        return String(fields[try #require(EventRow.columns.firstIndex(of: name))])
    }

    private static func row(timestamp: Int64 = 0) -> EventRow {
        EventRow(
            projectID: 1, messageID: "m", type: .page, timestamp: Timestamp(unixMicroseconds: timestamp),
            receivedAt: Timestamp(unixMicroseconds: 1_795_425_302_123_456)
        )
    }

    @Test func minimalRowIsExact() {
        let expected =
            "1\tm\tpage\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t1970-01-01 00:00:00.000000+00\t"
            + "2026-11-23 09:15:02.123456+00\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t"
            + "f\t\\N\t\\N\t\\N\t\\N\n"
        #expect(Self.line(Self.row()) == expected)
    }

    @Test func escapesBackslashTabNewlineAndCarriageReturn() throws {
        var row = Self.row()
        row.event = "a\tb\nc\rd\\e \\N"
        #expect(try Self.column("event", of: row) == #"a\tb\nc\rd\\e \\N"#)
        row.event = ""
        #expect(try Self.column("event", of: row) == "")
        row.event = nil
        #expect(try Self.column("event", of: row) == #"\N"#)
        row.properties = #"{"q":"say \"hi\"\n","dir":"C:\\tmp"}"#
        #expect(try Self.column("properties", of: row) == #"{"q":"say \\"hi\\"\\n","dir":"C:\\\\tmp"}"#)
        row.userID = "Grüße, 東京 👩‍👩‍👧"
        #expect(try Self.column("user_id", of: row) == "Grüße, 東京 👩‍👩‍👧")
    }

    @Test func timestampsAreUTCWithMicroseconds() throws {
        let cases: [(Int64, String)] = [
            (1_795_425_302_123_456, "2026-11-23 09:15:02.123456+00"),
            (946_684_800_000_000, "2000-01-01 00:00:00.000000+00"),
            (946_684_799_999_999, "1999-12-31 23:59:59.999999+00"),
            (-1, "1969-12-31 23:59:59.999999+00"),
            (-14_182_939_999_999, "1969-07-20 20:17:40.000001+00"),
            (-2_203_894_799_999_995, "1900-02-28 23:00:00.000005+00"),
            (1_709_208_000_000_000, "2024-02-29 12:00:00.000000+00"),
            (-62_135_596_800_000_000, "0001-01-01 00:00:00.000000+00"),
            (-62_135_596_800_000_001, "0001-12-31 23:59:59.999999+00 BC"),
        ]
        for (microseconds, text) in cases {
            #expect(try Self.column("timestamp", of: Self.row(timestamp: microseconds)) == text)
        }
    }

    @Test func otherTypesUsePostgresTextForms() throws {
        var row = Self.row()
        row.projectID = Int64.min
        row.sessionID = UUID(uuidString: "00112233-4455-6677-8899-AABBCCDDEEFF")
        row.isBot = true
        row.ip = InetAddress("2001:db8::/32")
        row.sentAt = Timestamp(unixMicroseconds: 0)
        #expect(try Self.column("project_id", of: row) == "-9223372036854775808")
        #expect(try Self.column("session_id", of: row) == "00112233-4455-6677-8899-aabbccddeeff")
        #expect(try Self.column("is_bot", of: row) == "t")
        #expect(try Self.column("ip", of: row) == "2001:db8::/32")
        #expect(try Self.column("sent_at", of: row) == "1970-01-01 00:00:00.000000+00")
        row.ip = InetAddress("203.0.113.7")
        #expect(try Self.column("ip", of: row) == "203.0.113.7")
    }
}
