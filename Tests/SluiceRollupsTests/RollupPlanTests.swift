import SluiceCore
import SluiceRollups
import Testing

@Suite struct RollupPlanTests {
    let day = CalendarDay(year: 2026, month: 11, day: 1)!
    func hour(_ offset: Int64) -> UTCHour { UTCHour(startOf: day).adding(hours: offset) }

    @Test func marksBecomeOneUnitPerProjectAndDay() {
        let marks = [
            HourMark(id: 10, projectID: 1, hour: hour(25)),
            HourMark(id: 11, projectID: 1, hour: hour(3)),
            HourMark(id: 12, projectID: 1, hour: hour(3)),
            HourMark(id: 13, projectID: 1, hour: hour(1)),
            HourMark(id: 14, projectID: 3, hour: hour(5)),
            HourMark(id: 15, projectID: 1, hour: hour(47)),
        ]
        let plan = RollupPlan(marks: marks)
        #expect(
            plan.units == [
                RollupUnit(projectID: 1, day: day, hours: [hour(1), hour(3)], markIDs: [11, 12, 13]),
                RollupUnit(projectID: 1, day: day.adding(days: 1), hours: [hour(25), hour(47)], markIDs: [10, 15]),
                RollupUnit(projectID: 3, day: day, hours: [hour(5)], markIDs: [14]),
            ])
        #expect(plan.hourCount == 5)
    }

    @Test func aUnitsSpanRunsFromItsFirstHourToTheEndOfItsLast() {
        let unit = RollupUnit(projectID: 1, day: day, hours: [hour(2), hour(9)], markIDs: [1])
        #expect(unit.span.from == hour(2).start)
        #expect(unit.span.to == hour(10).start)
        #expect(unit.dayRange.from == day.start)
        #expect(unit.dayRange.to == day.adding(days: 1).start)
        // The last hour of a day ends at the next midnight.
        let late = RollupUnit(projectID: 1, day: day, hours: [hour(23)], markIDs: [2])
        #expect(late.span.to == day.adding(days: 1).start)
    }
}
