import SluiceCore
import SluiceRetention
import Testing

@Suite struct RetentionPolicyTests {
    let today = CalendarDay(year: 2026, month: 12, day: 1)!

    @Test func aDayIsDueOnceItLiesWhollyBeforeTodayMinusTheRetentionDays() {
        let policy = RetentionPolicy(days: 90)
        #expect(policy.firstKeptDay(today: today).description == "2026-09-02")
        #expect(!policy.isDue(CalendarDay("2026-09-02")!, today: today))
        #expect(policy.isDue(CalendarDay("2026-09-01")!, today: today))
        let days = (-100...3).map { today.adding(days: $0) }
        let due = policy.dueDays(days + days, today: today)
        #expect(due.count == 10, "today-100 … today-91")
        #expect(due.first == today.adding(days: -100) && due.last == today.adding(days: -91))
        #expect(policy.deadLetterCutoff(today: today) == CalendarDay("2026-09-02")!.start)
    }

    @Test func theWindowNeverReachesADueDay() {
        for (backfill, retention) in [(90, 90), (200, 30), (10, 400), (0, 0)] {
            let window = PartitionWindow(backfillDays: backfill, premakeDays: 7, retentionDays: retention)
            let policy = RetentionPolicy(days: retention)
            #expect(window.dayList(today: today).allSatisfy { !policy.isDue($0, today: today) })
            #expect(
                policy.isDue(window.days(today: today).lowerBound.adding(days: -1), today: today)
                    == (backfill >= retention))
        }
    }

    @Test func readsTheEnvironmentAsTheWindowDoes() throws {
        #expect(try RetentionPolicy.fromEnvironment([:]).days == 90)
        #expect(try RetentionPolicy.fromEnvironment(["SLUICE_RETENTION_DAYS": "30"]).days == 30)
        #expect(throws: PartitionWindow.SettingError.self) {
            try RetentionPolicy.fromEnvironment(["SLUICE_RETENTION_DAYS": "-3"])
        }
    }
}
