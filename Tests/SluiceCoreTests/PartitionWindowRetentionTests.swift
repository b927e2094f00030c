import SluiceCore
import Testing

@Suite struct PartitionWindowRetentionTests {
    let today = CalendarDay(year: 2026, month: 12, day: 1)!

    @Test func aShorterRetentionMovesTheWindowsStart() {
        let window = PartitionWindow(backfillDays: 90, premakeDays: 2, retentionDays: 30)
        #expect(window.daysBack == 30)
        #expect(window.days(today: today).lowerBound == today.adding(days: -30))
        #expect(window.dayList(today: today).count == 33)
        #expect(!window.contains(today.adding(days: -31), today: today))
        #expect(window.earliestAccepted(today: today) == today.adding(days: -30).start)
        #expect(window.description == "-30…+2 days")
    }

    @Test func aLongerRetentionLeavesTheBackfillWindow() {
        let window = PartitionWindow(backfillDays: 10, premakeDays: 2, retentionDays: 400)
        #expect(window.daysBack == 10)
        #expect(window == PartitionWindow(backfillDays: 10, premakeDays: 2))
    }

    @Test func readsTheRetentionDaysFromTheEnvironment() throws {
        let window = try PartitionWindow.fromEnvironment(["SLUICE_BACKFILL_DAYS": "200", "SLUICE_RETENTION_DAYS": "45"])
        #expect(window.daysBack == 45 && window.backfillDays == 200 && window.retentionDays == 45)
        #expect(
            try PartitionWindow.fromEnvironment(["SLUICE_BACKFILL_DAYS": "200"]).daysBack == 90, "default retention")
        #expect(try PartitionWindow.retentionDays([:]) == 90)
        #expect(throws: PartitionWindow.SettingError.self) {
            try PartitionWindow.fromEnvironment(["SLUICE_RETENTION_DAYS": "forever"])
        }
    }
}
