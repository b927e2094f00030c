import SluiceSpool
import Testing

@Suite struct SpoolWriterReaderTests {
    /// Sizes from empty to 1 MiB, then a run of small and medium batches.
    static let sizes: [Int] = [0, 1, 2, 100, 4096, 65_537, 1 << 20, 3, 0, 777] + (0..<150).map { ($0 * 7919) % 20_000 }

    @Test func roundTripsRecordsOfVariedSizes() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory)
            let payloads = Self.sizes.enumerated().map { TestPayload.bytes(count: $1, seed: UInt64($0)) }
            let positions = try payloads.map { try writer.append($0) }
            try writer.sync()

            let records = try readAll(directory)
            #expect(records.count == payloads.count)
            #expect(records.map(\.payload) == payloads)
            #expect(records.map(\.end) == positions)
            #expect(positions.last == writer.endPosition)
        }
    }

    @Test func positionsIncreaseAndResumeExactlyAfterTheirRecord() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 64 << 10)
            let payloads = (0..<60).map { TestPayload.bytes(count: 100 + $0 * 97, seed: UInt64($0)) }
            let positions = try payloads.map { try writer.append($0) }
            try writer.sync()

            for (earlier, later) in zip(positions, positions.dropFirst()) {
                #expect(earlier < later)
            }
            #expect(Set(positions.map(\.segment)).count > 1, "the test should cross a segment boundary")
            for index in positions.indices {
                let resumed = try readAll(directory, from: positions[index])
                #expect(resumed.map(\.payload) == Array(payloads[(index + 1)...]), "resuming from \(positions[index])")
            }
        }
    }

    @Test func rotationCreatesSeveralSegmentsAndTheReaderCrossesThem() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 8 << 10)
            let payloads = (0..<40).map { TestPayload.incompressible(count: 1000 + $0 * 50, seed: UInt64($0)) }
            let positions = try payloads.map { try writer.append($0) }
            try writer.sync()

            let segments = try SpoolSegment.segments(in: directory)
            #expect(segments.count >= 5)
            #expect(segments.map(\.number) == Array(0..<UInt64(segments.count)))
            // Each segment rotates at the first append after it reaches the size: at most one record over.
            for segment in segments.dropLast() {
                let size = try SegmentFile.size(segment.path(in: directory))
                #expect(size >= 8 << 10 && size < (8 << 10) + 4096)
            }
            let records = try readAll(directory)
            #expect(records.map(\.payload) == payloads)
            #expect(records.map(\.end) == positions)
            #expect(
                try SpoolSegment.totalBytes(in: directory)
                    == positions.reduce(into: [UInt64: UInt64]()) {
                        $0[$1.segment] = $1.offset
                    }.values.reduce(0, +))
        }
    }

    @Test func readerSeesRecordsAppendedAfterItReachedTheEnd() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 4 << 10)
            let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1 << 20)
            #expect(try reader.next() == nil)

            var expected: [[UInt8]] = []
            for round in 0..<12 {
                let payload = TestPayload.incompressible(count: 1500, seed: UInt64(round))
                let end = try writer.append(payload)
                // Buffered only: not visible yet.
                #expect(try reader.next() == nil)
                try writer.flush()
                let record = try #require(try reader.next())
                #expect(record.payload == payload)
                #expect(record.end == end)
                #expect(try reader.next() == nil)
                expected.append(payload)
            }
            #expect(try SpoolSegment.segments(in: directory).count > 2, "the reader should have followed rotations")
        }
    }

    @Test func writerReopenedContinuesTheLastSegment() throws {
        try withSpoolDirectory { directory in
            var positions: [SpoolPosition] = []
            do {
                let writer = try SpoolWriter(directory: directory)
                positions.append(try writer.append([1, 2, 3]))
                try writer.sync()
            }
            let writer = try SpoolWriter(directory: directory)
            #expect(writer.endPosition == positions[0])
            positions.append(try writer.append([4, 5]))
            try writer.sync()
            #expect(positions[1].segment == 0 && positions[1] > positions[0])
            #expect(try readAll(directory).map(\.payload) == [[1, 2, 3], [4, 5]])
        }
    }

    @Test func capRejectsAnOversizedRecordWithoutMovingOn() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory)
            let fits = try writer.append(TestPayload.bytes(count: 1000, seed: 1))
            _ = try writer.append(TestPayload.bytes(count: 1001, seed: 2))
            try writer.sync()

            let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1000)
            #expect(try reader.next()?.end == fits)
            let error = #expect(throws: SpoolError.self) { try reader.next() }
            #expect(error?.code == .recordTooLarge)
            #expect(reader.position == fits)
            #expect(throws: SpoolError.self) { try reader.next() }
        }
    }

    @Test func deleteSegmentsRemovesOnlyFullyConsumedSegments() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 4 << 10)
            let payloads = (0..<30).map { TestPayload.incompressible(count: 1200, seed: UInt64($0)) }
            let positions = try payloads.map { try writer.append($0) }
            try writer.sync()
            let before = try SpoolSegment.segments(in: directory).map(\.number)
            #expect(before.count >= 4)

            // Nothing is wholly consumed while the checkpoint is in the first segment, even at its end.
            let endOfFirst = try #require(positions.last { $0.segment == 0 })
            #expect(try SpoolSegment.deleteSegments(in: directory, before: endOfFirst).isEmpty)

            let index = try #require(positions.firstIndex { $0.segment == 2 })
            let checkpoint = positions[index]
            let deleted = try SpoolSegment.deleteSegments(in: directory, before: checkpoint)
            #expect(deleted.map(\.number) == [0, 1])
            #expect(try SpoolSegment.segments(in: directory).map(\.number) == Array(before.dropFirst(2)))

            // The loader resumes from its checkpoint and loses nothing.
            #expect(try readAll(directory, from: checkpoint).map(\.payload) == Array(payloads[(index + 1)...]))
            // A reader starting at offset 0 of a deleted segment starts at the first remaining one.
            #expect(
                try readAll(directory, from: .start).count == payloads.count - positions.filter { $0.segment < 2 }.count
            )
            // A starting position inside a deleted segment (a checkpoint ahead of what the spool holds) goes
            // on at the next segment present, and the reader says where it jumped.
            let reader = try SpoolReader(directory: directory, from: positions[0], maximumBatchBytes: 4 << 20)
            let firstInSegmentTwo = try #require(positions.firstIndex { $0.segment == 2 })
            #expect(try reader.next()?.payload == payloads[firstInSegmentTwo])
            #expect(reader.skipped?.from == positions[0])
            #expect(reader.skipped?.to == SpoolPosition(segment: 2, offset: 0))
        }
    }
}
