import Foundation
import SluiceSpool
import Testing

@Suite struct SpoolSegmentTests {
    @Test func fileNamesArePaddedToTwentyDigits() {
        #expect(SpoolSegment(number: 3).fileName == "00000000000000000003.seg")
        #expect(SpoolSegment(number: .max).fileName == "18446744073709551615.seg")
        #expect(SpoolSegment(number: 7).path(in: "/spool") == "/spool/00000000000000000007.seg")
        #expect(SpoolSegment(number: 7).path(in: "/spool/") == "/spool/00000000000000000007.seg")
    }

    @Test func fileNamesParseBack() {
        for number: UInt64 in [0, 1, 42, 1 << 40, .max] {
            #expect(SpoolSegment(fileName: SpoolSegment(number: number).fileName)?.number == number)
        }
        for name in [
            "3.seg", "0000000000000000000a.seg", "00000000000000000003.tmp", "00000000000000000003.seg.bak",
            "99999999999999999999.seg", "-0000000000000000003.seg",
        ] {
            #expect(SpoolSegment(fileName: name) == nil, "\(name)")
        }
    }

    @Test func segmentsListsOnlySegmentFilesInOrder() throws {
        try withSpoolDirectory { directory in
            for number: UInt64 in [10, 2, 0] {
                try SegmentFile.append([1, 2, 3], to: createEmpty(SpoolSegment(number: number).path(in: directory)))
            }
            _ = createEmpty(directory + "/notes.txt")
            #expect(try SpoolSegment.segments(in: directory).map(\.number) == [0, 2, 10])
            #expect(try SpoolSegment.totalBytes(in: directory) == 9)
        }
    }

    private func createEmpty(_ path: String) -> String {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return path
    }
}
