import SluiceCore
import SluiceSpool
import Testing

/// `appendDurably`: rows into records of at most `perRecord` rows, in order, each record their binary COPY tuples.
@Suite struct SpoolWriterRowsTests {
    static func rows(_ count: Int) -> [EventRow] {
        (0..<count).map { n in
            EventRow(
                projectID: 1, messageID: "m-\(n)", type: .track, event: "E", userID: nil, anonymousID: "a-\(n)",
                timestamp: Timestamp(unixMicroseconds: 1_700_000_000_000_000 + Int64(n)),
                receivedAt: Timestamp(unixMicroseconds: 1_700_000_000_000_000))
        }
    }

    @Test func rowsBecomeRecordsOfAtMostPerRecordRowsInOrder() throws {
        try withSpoolDirectory { directory in
            let rows = Self.rows(2_500)
            let writer = try SpoolWriter(directory: directory)
            try writer.appendDurably(rows, perRecord: 1_000)
            try writer.appendDurably([EventRow](), perRecord: 1_000)

            let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1 << 24)
            for slice in [rows[0..<1_000], rows[1_000..<2_000], rows[2_000..<2_500]] {
                var encoder = CopyEncoder()
                for row in slice { encoder.append(row) }
                #expect(try reader.next()?.payload == encoder.bytes)
            }
            #expect(try reader.next() == nil)
        }
    }
}
