import Foundation
import SluiceCore
import Testing

/// The tuple walker reads back exactly what `CopyEncoder` wrote, and reports damaged bytes as errors with
/// the offset of the damaged tuple, never by reading out of bounds.
@Suite struct CopyTuplesTests {
    static let day = CalendarDay(year: 2026, month: 11, day: 23)!

    static func rows(_ count: Int) -> [EventRow] {
        (0..<count).map { index -> EventRow in
            let offset: Int64 = Int64(index) * 1_234_567
            let timestamp = Timestamp(unixMicroseconds: day.start.unixMicroseconds + offset)
            let event: String? = index % 3 == 0 ? nil : "Event \(index)"
            let ip: InetAddress? = index % 2 == 0 ? InetAddress("10.1.2.0") : nil
            return EventRow(
                projectID: Int64(index) * 1_000_003 - 7, messageID: "msg-\(index)-Grüße",
                type: index % 2 == 0 ? .track : .page, event: event, anonymousID: "anon-\(index)",
                timestamp: timestamp, receivedAt: Timestamp(unixMicroseconds: 1_795_425_302_123_456),
                isBot: index % 5 == 0, ip: ip, properties: "{\"index\": \(index)}"
            )
        }
    }

    /// The tuples of `rows`, without COPY header or trailer, as a spool record holds them.
    static func tuples(_ rows: [EventRow]) -> [UInt8] {
        var encoder = CopyEncoder()
        for row in rows { encoder.append(row) }
        return encoder.bytes
    }

    @Test func fieldIndicesMatchTheColumns() {
        #expect(EventRow.columns[CopyTuples.projectIDField] == "project_id")
        #expect(EventRow.columns[CopyTuples.messageIDField] == "message_id")
        #expect(EventRow.columns[CopyTuples.timestampField] == "timestamp")
    }

    @Test func roundTripsWhatTheEncoderWrote() throws {
        let rows = Self.rows(50)
        let bytes = Self.tuples(rows)
        var walker = CopyTuples(bytes)
        var expectedStart = 0
        for row in rows {
            let tuple = try #require(try walker.next())
            #expect(tuple.range.lowerBound == expectedStart)
            #expect(tuple.fieldCount == EventRow.columns.count)
            #expect(try tuple.projectID() == row.projectID)
            #expect(try tuple.messageID() == row.messageID)
            #expect(try tuple.timestamp() == row.timestamp)
            #expect(try tuple.string(3) == row.event)
            #expect(try tuple.timestamp(10) == row.receivedAt)
            #expect(try tuple.field(11) == nil)  // sent_at
            #expect(try tuple.field(23).map { Array($0) } == [row.isBot ? 1 : 0])
            #expect(try tuple.string(27) == nil)  // context
            // Each tuple alone encodes to the same bytes.
            #expect(Array(tuple.slice) == Self.tuples([row]))
            expectedStart = tuple.range.upperBound
        }
        #expect(try walker.next() == nil)
        #expect(walker.offset == bytes.count)
        #expect(try CopyTuples.count(bytes) == rows.count)
    }

    @Test func walksASubrange() throws {
        let rows = Self.rows(5)
        let bytes = Self.tuples(rows)
        var walker = CopyTuples(bytes)
        var ranges: [Range<Int>] = []
        while let tuple = try walker.next() { ranges.append(tuple.range) }
        let middle = ranges[1].lowerBound..<ranges[3].upperBound
        var sub = CopyTuples(bytes, in: middle)
        #expect(try sub.next()?.messageID() == rows[1].messageID)
        #expect(try sub.next()?.messageID() == rows[2].messageID)
        #expect(try sub.next()?.messageID() == rows[3].messageID)
        #expect(try sub.next() == nil)
        #expect(try CopyTuples.count([], in: nil) == 0)
    }

    @Test func everyTruncationThrowsAtTheCutTuple() throws {
        let bytes = Self.tuples(Self.rows(3))
        var ends: [Int] = []
        var walker = CopyTuples(bytes)
        while let tuple = try walker.next() { ends.append(tuple.range.upperBound) }
        for cut in 0..<bytes.count {
            let prefix = Array(bytes[..<cut])
            let whole = ends.filter { $0 <= cut }
            var tuples = CopyTuples(prefix)
            var read = 0
            do {
                while try tuples.next() != nil { read += 1 }
                // Only a cut between tuples reads to the end without complaint.
                #expect(ends.contains(cut) || cut == 0, "cut at \(cut) was accepted")
                #expect(read == whole.count)
            } catch {
                #expect(error.code == .truncated)
                #expect(read == whole.count)
                #expect(error.offset == (whole.last ?? 0), "cut at \(cut)")
                // The walker stays at the damaged tuple.
                #expect(tuples.offset == error.offset)
            }
        }
    }

    @Test func rangeReachingPastTheBufferThrows() throws {
        let bytes = Self.tuples(Self.rows(1))
        var walker = CopyTuples(bytes, in: 0..<(bytes.count + 10))
        #expect(try walker.next() != nil)
        #expect(throws: CopyTuples.FormatError.self) { try walker.next() }
    }

    @Test func negativeCountsAndLengthsThrow() throws {
        // A trailer (field count −1) where a tuple should start.
        #expect(throws: CopyTuples.FormatError.self) { try CopyTuples.count([0xFF, 0xFF]) }
        do {
            _ = try CopyTuples.count([0xFF, 0xFF])
        } catch {
            #expect(error.code == .invalidFieldCount)
        }
        // One field of length −2.
        do {
            _ = try CopyTuples.count([0, 1, 0xFF, 0xFF, 0xFF, 0xFE])
            Issue.record("length −2 was accepted")
        } catch {
            #expect(error.code == .invalidFieldLength)
        }
        // One field claiming 2 GiB − 1 bytes.
        do {
            _ = try CopyTuples.count([0, 1, 0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3])
            Issue.record("a huge length was accepted")
        } catch {
            #expect(error.code == .truncated)
        }
        // A zero-field tuple is well framed (PostgreSQL then refuses its field count).
        #expect(try CopyTuples.count([0, 0, 0, 0]) == 2)
    }

    @Test func typedReadsCheckTheValue() throws {
        var encoder = CopyEncoder()
        encoder.beginRow(fieldCount: 4)
        encoder.append(Int32(7))  // 4 bytes where an int8 is asked for
        encoder.append(text: nil)
        encoder.append(Int64.max)  // PostgreSQL's 'infinity' timestamptz
        encoder.append(Int64.min)  // '-infinity'
        var walker = CopyTuples(encoder.bytes)
        let tuple = try #require(try walker.next())
        do {
            _ = try tuple.int64(0)
            Issue.record("a 4-byte int8 was accepted")
        } catch {
            #expect(error.code == .invalidValue)
        }
        #expect(try tuple.string(1) == nil)
        #expect(try tuple.int64(2) == .max)
        #expect(throws: CopyTuples.FormatError.self) { try tuple.timestamp(2) }
        #expect(throws: CopyTuples.FormatError.self) { try tuple.timestamp(3) }
        for index in [-1, 4, 100] {
            do {
                _ = try tuple.field(index)
                Issue.record("field \(index) of 4 was accepted")
            } catch {
                #expect(error.code == .noSuchField)
            }
        }
    }

    @Test func randomDamageNeverCrashes() throws {
        let original = Self.tuples(Self.rows(20))
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func random() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        for _ in 0..<2_000 {
            var bytes = original
            for _ in 0..<(1 + random() % 4) {
                bytes[Int(random() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random())
            }
            if random() % 4 == 0 { bytes.removeLast(Int(random() % 64)) }
            var walker = CopyTuples(bytes)
            do {
                while let tuple = try walker.next() {
                    #expect(tuple.range.upperBound <= bytes.count)
                    // Reading any field of a returned tuple stays in bounds too.
                    for index in 0..<min(tuple.fieldCount, 40) { _ = try tuple.field(index) }
                    _ = try? tuple.timestamp()
                    _ = try? tuple.projectID()
                }
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
            }
        }
    }
}
