import SluiceCore
import SluiceRetention
import Testing

@Suite struct ArchiveNameTests {
    let day = CalendarDay(year: 2026, month: 8, day: 31)!

    @Test func namesTheFileTheTemporaryFileAndThePartition() {
        let name = ArchiveName(day: day)
        #expect(name.relativePath == "analytics.events/2026-08-31.copy.zst")
        #expect(name.temporaryFileName == ".2026-08-31.copy.zst.partial")
        #expect(name.partitionName == "events_p20260831")
        #expect(ArchiveName.day(ofPartition: name.partitionName) == day)
    }

    @Test func parsesAFilePath() {
        #expect(ArchiveName(path: "/srv/archive/analytics.events/2026-08-31.copy.zst") == ArchiveName(day: day))
        #expect(ArchiveName(path: "2026-08-31.copy.zst") == ArchiveName(day: day))
        for other in ["2026-08-31.copy", "2026-02-30.copy.zst", ".2026-08-31.copy.zst.partial", "x.copy.zst", ""] {
            #expect(ArchiveName(path: other) == nil, "\(other)")
        }
        for other in ["events_default", "events_p2026083", "events_p20261341", "events_pabcdefgh"] {
            #expect(ArchiveName.day(ofPartition: other) == nil, "\(other)")
        }
    }
}
