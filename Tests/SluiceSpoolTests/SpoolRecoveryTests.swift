import Foundation
import SluiceSpool
import Testing

@Suite struct SpoolRecoveryTests {
    /// Writes ten records to one segment and returns their payloads and end positions.
    private func writeTen(_ directory: String) throws -> (payloads: [[UInt8]], ends: [SpoolPosition]) {
        let writer = try SpoolWriter(directory: directory)
        let payloads = (0..<10).map { TestPayload.bytes(count: 500 + $0 * 300, seed: UInt64($0)) }
        let ends = try payloads.map { try writer.append($0) }
        try writer.sync()
        return (payloads, ends)
    }

    enum Damage: CaseIterable, Sendable {
        case truncatedMidFrame, truncatedMidHeader, garbageAppended, partialHeaderAppended, flippedFrameByte,
            flippedLengthByte
    }

    @Test(arguments: Damage.allCases)
    func repairCutsATornTailBackToTheLastGoodRecord(_ damage: Damage) throws {
        try withSpoolDirectory { directory in
            let (payloads, ends) = try writeTen(directory)
            let path = SegmentFile.path(0, in: directory)
            let lastStart = ends[8].offset
            let size = ends[9].offset
            var expectedPayloads = Array(payloads.prefix(9))
            var expectedValid = lastStart
            switch damage {
            case .truncatedMidFrame:
                try SegmentFile.truncate(path, to: size - 5)
            case .truncatedMidHeader:
                try SegmentFile.truncate(path, to: lastStart + 7)
            case .garbageAppended:
                try SegmentFile.append(TestPayload.incompressible(count: 100, seed: 9), to: path)
                expectedPayloads = payloads
                expectedValid = size
            case .partialHeaderAppended:
                try SegmentFile.append([0x53, 0x4C, 0x53, 0x50, 1, 0], to: path)
                expectedPayloads = payloads
                expectedValid = size
            case .flippedFrameByte:
                try SegmentFile.flipByte(at: (lastStart + size) / 2, in: path)
            case .flippedLengthByte:
                try SegmentFile.flipByte(at: lastStart + 9, in: path)
            }
            let damagedSize = try SegmentFile.size(path)

            let report = try SpoolRecovery.repair(directory: directory)
            #expect(report.segment?.number == 0)
            #expect(report.validBytes == expectedValid)
            #expect(report.truncatedBytes == damagedSize - expectedValid)
            #expect(report.didTruncate)
            #expect(report.records == expectedPayloads.count)
            #expect(report.discardedIntactRecords == 0)
            #expect(try SegmentFile.size(path) == expectedValid)
            #expect(try readAll(directory).map(\.payload) == expectedPayloads)

            // Repair is idempotent, and the writer continues cleanly after the cut.
            #expect(try SpoolRecovery.repair(directory: directory).truncatedBytes == 0)
            let writer = try SpoolWriter(directory: directory)
            _ = try writer.append([7, 7, 7])
            try writer.sync()
            #expect(try readAll(directory).map(\.payload) == expectedPayloads + [[7, 7, 7]])
        }
    }

    @Test func repairLeavesAnIntactSpoolAlone() throws {
        try withSpoolDirectory { directory in
            #expect(try SpoolRecovery.repair(directory: directory).segment == nil)
            let (_, ends) = try writeTen(directory)
            let report = try SpoolRecovery.repair(directory: directory)
            #expect(report.records == 10 && report.validBytes == ends[9].offset && !report.didTruncate)
        }
    }

    @Test func repairOnlyExaminesTheLastSegment() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 1024)
            let ends = try (0..<6).map { try writer.append(TestPayload.incompressible(count: 1500, seed: UInt64($0))) }
            try writer.sync()
            #expect(ends.last?.segment == 5)
            try SegmentFile.truncate(SegmentFile.path(1, in: directory), to: 100)
            try SegmentFile.append([1, 2, 3], to: SegmentFile.path(5, in: directory))

            let report = try SpoolRecovery.repair(directory: directory)
            #expect(report.segment?.number == 5 && report.truncatedBytes == 3 && report.records == 1)
            #expect(try SegmentFile.size(SegmentFile.path(1, in: directory)) == 100)
        }
    }

    @Test func corruptionInTheMiddleOfASegmentIsAnErrorNotASkip() throws {
        try withSpoolDirectory { directory in
            let (payloads, ends) = try writeTen(directory)
            let path = SegmentFile.path(0, in: directory)
            try SegmentFile.flipByte(at: (ends[2].offset + ends[3].offset) / 2, in: path)

            let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1 << 20)
            for index in 0..<3 {
                #expect(try reader.next()?.payload == payloads[index])
            }
            let error = #expect(throws: SpoolError.self) { try reader.next() }
            #expect(error?.code == .corruptRecord)
            #expect(reader.position == ends[2])

            // Repair refuses to cut acknowledged records that follow the damage.
            let repairError = #expect(throws: SpoolError.self) { try SpoolRecovery.repair(directory: directory) }
            #expect(repairError?.code == .corruptRecord)
            #expect(try SegmentFile.size(path) == ends[9].offset)
        }
    }

    @Test func repairDiscardsIntactRecordsAfterDamageOnlyWhenTold() throws {
        try withSpoolDirectory { directory in
            let (payloads, ends) = try writeTen(directory)
            let path = SegmentFile.path(0, in: directory)
            try SegmentFile.flipByte(at: ends[6].offset + 3, in: path)

            let report = try SpoolRecovery.repair(directory: directory, discardingIntactRecords: true)
            #expect(report.records == 7)
            #expect(report.validBytes == ends[6].offset)
            #expect(report.truncatedBytes == ends[9].offset - ends[6].offset)
            #expect(report.discardedIntactRecords == 2)
            #expect(try readAll(directory).map(\.payload) == Array(payloads.prefix(7)))
        }
    }

    @Test func aRecordCutShortInAnEarlierSegmentIsAnError() throws {
        try withSpoolDirectory { directory in
            let writer = try SpoolWriter(directory: directory, segmentBytes: 1024)
            let ends = try (0..<4).map { try writer.append(TestPayload.incompressible(count: 1500, seed: UInt64($0))) }
            try writer.sync()
            try SegmentFile.truncate(SegmentFile.path(1, in: directory), to: ends[1].offset - 10)

            let reader = try SpoolReader(directory: directory, from: .start, maximumBatchBytes: 1 << 20)
            #expect(try reader.next()?.end == ends[0])
            let error = #expect(throws: SpoolError.self) { try reader.next() }
            #expect(error?.code == .corruptRecord)
        }
    }

    @Test func aRecordStillBeingWrittenAtTheLiveEndIsNotAnError() throws {
        try withSpoolDirectory { directory in
            let (_, ends) = try writeTen(directory)
            let path = SegmentFile.path(0, in: directory)
            let whole = try SegmentFile.size(path)
            let reader = try SpoolReader(directory: directory, from: ends[8], maximumBatchBytes: 1 << 20)
            // Simulate the writer midway through the last record: cut it, then restore it.
            let bytes = try readBytes(path)
            try SegmentFile.truncate(path, to: ends[8].offset + 20)
            #expect(try reader.next() == nil)
            try SegmentFile.append(Array(bytes[Int(ends[8].offset + 20)..<Int(whole)]), to: path)
            #expect(try reader.next()?.end == ends[9])
        }
    }

    private func readBytes(_ path: String) throws -> [UInt8] {
        try [UInt8](#require(FileManager.default.contents(atPath: path)))
    }
}
