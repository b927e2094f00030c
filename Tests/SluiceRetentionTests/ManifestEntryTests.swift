import SluiceCore
import SluiceRetention
import Testing

@Suite struct ManifestEntryTests {
    let hash = String(repeating: "ab", count: 32)

    func entry(_ day: String, rows: Int = 3) -> ManifestEntry {
        ManifestEntry(table: "analytics.events", day: CalendarDay(day)!, rows: rows, bytes: 120, sha256: hash)
    }

    @Test func writesTheDocumentedLine() {
        #expect(
            entry("2026-08-31").line == """
                {"table":"analytics.events","day":"2026-08-31","rows":3,"bytes":120,"sha256":"\(hash)"}
                """)
    }

    @Test func readsItsOwnLinesBackAndKeepsTheLastOfADay() throws {
        let text = [entry("2026-08-31", rows: 3), entry("2026-08-30"), entry("2026-08-31", rows: 2)]
            .map { $0.line + "\n" }.joined()
        let entries = try ManifestEntry.parse(text)
        #expect(entries.count == 3 && entries[0] == entry("2026-08-31", rows: 3))
        #expect(ManifestEntry.latest(entries) == [entry("2026-08-30"), entry("2026-08-31", rows: 2)])
    }

    @Test func leavesOutALastLineACrashCutShort() throws {
        let whole = entry("2026-08-31").line
        let entries = try ManifestEntry.parse(whole + "\n" + whole.prefix(30))
        #expect(entries == [entry("2026-08-31")])
    }

    @Test func refusesADamagedLineInTheMiddle() {
        let whole = entry("2026-08-31").line
        for damaged in [String(whole.prefix(30)), whole.replacingOccurrences(of: hash, with: "xyz")] {
            do {
                _ = try ManifestEntry.parse(damaged + "\n" + whole + "\n")
                Issue.record("a damaged line was accepted")
            } catch {
                #expect(error.line == 1)
                #expect(error.description.hasPrefix("manifest.jsonl line 1: "))
            }
        }
    }
}
