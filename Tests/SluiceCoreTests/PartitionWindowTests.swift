import SluiceCore
import Testing

@Suite struct PartitionWindowTests {
    let today = CalendarDay(year: 2026, month: 11, day: 23)!

    @Test func spansBackfillDaysBackAndPremakeDaysAhead() {
        let window = PartitionWindow(backfillDays: 3, premakeDays: 2)
        #expect(window.dayList(today: today).map(\.description) == [
            "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25",
        ])
        #expect(window.days(today: today) == CalendarDay(year: 2026, month: 11, day: 20)!...CalendarDay(
            year: 2026, month: 11, day: 25)!)
        #expect(window.contains(today.adding(days: -3), today: today))
        #expect(!window.contains(today.adding(days: -4), today: today))
        #expect(window.contains(today.adding(days: 2), today: today))
        #expect(!window.contains(today.adding(days: 3), today: today))
        #expect(window.description == "-3…+2 days")
    }

    @Test func theEarliestAcceptedTimeIsMidnightOfTheFirstDay() {
        let window = PartitionWindow.standard
        #expect(window.backfillDays == 90 && window.premakeDays == 7)
        let firstDay = CalendarDay(year: 2026, month: 8, day: 25)!
        #expect(window.earliestAccepted(today: today) == firstDay.start)
        #expect(firstDay.start.unixMicroseconds == 1_787_616_000 * 1_000_000, "2026-08-25T00:00:00Z")
        // Any instant of the day gives the same bound; the next day moves it by one day.
        let lastMicrosecond = Timestamp(unixMicroseconds: today.adding(days: 1).start.unixMicroseconds - 1)
        #expect(window.earliestAccepted(at: lastMicrosecond) == firstDay.start)
        #expect(window.earliestAccepted(at: today.adding(days: 1).start) == firstDay.adding(days: 1).start)
        let none = PartitionWindow(backfillDays: 0, premakeDays: 0)
        #expect(none.earliestAccepted(today: today) == today.start)
        #expect(none.dayList(today: today) == [today])
    }

    @Test func clampsOutOfRangeDays() {
        let window = PartitionWindow(backfillDays: -5, premakeDays: 1_000_000)
        #expect(window.backfillDays == 0)
        #expect(window.premakeDays == PartitionWindow.maximumDays)
    }

    @Test func readsTheEnvironment() throws {
        #expect(try PartitionWindow.fromEnvironment([:]) == .standard)
        #expect(try PartitionWindow.fromEnvironment(["SLUICE_BACKFILL_DAYS": ""]) == .standard)
        let custom = try PartitionWindow.fromEnvironment(["SLUICE_BACKFILL_DAYS": "30", "SLUICE_PREMAKE_DAYS": "2"])
        #expect(custom == PartitionWindow(backfillDays: 30, premakeDays: 2))
        for bad in ["-1", "soon", "3651", "1.5"] {
            #expect(throws: PartitionWindow.SettingError.self) {
                try PartitionWindow.fromEnvironment(["SLUICE_PREMAKE_DAYS": bad])
            }
        }
        do {
            _ = try PartitionWindow.fromEnvironment(["SLUICE_BACKFILL_DAYS": "many"])
            Issue.record("a word is not a number of days")
        } catch {
            #expect(error.code == .invalidDays)
            #expect(error.description == "SLUICE_BACKFILL_DAYS=many is not a number of days between 0 and 3650")
        }
    }
}
