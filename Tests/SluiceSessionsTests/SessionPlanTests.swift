import SluiceCore
import SluiceSessions
import Testing

@Suite struct SessionPlanTests {
    let day = CalendarDay(year: 2026, month: 11, day: 1)!
    func hour(_ offset: Int64) -> UTCHour { UTCHour(startOf: day).adding(hours: offset) }

    @Test func marksBecomeStepsPerProjectRangeAndDay() {
        let marks = [
            HourMark(id: 1, projectID: 2, hour: hour(10)),
            HourMark(id: 2, projectID: 1, hour: hour(23)),
            HourMark(id: 3, projectID: 1, hour: hour(24)),  // next day: same range, another step
            HourMark(id: 4, projectID: 1, hour: hour(23)),  // a mark repeated
            HourMark(id: 5, projectID: 1, hour: hour(30)),  // a gap: another range
            HourMark(id: 6, projectID: 2, hour: hour(11)),
        ]
        let plan = SessionPlan(marks: marks)
        #expect(
            plan.steps == [
                SessionStep(projectID: 1, hours: HourRange(hour: hour(23)), markIDs: [2, 4]),
                SessionStep(projectID: 1, hours: HourRange(hour: hour(24)), markIDs: [3]),
                SessionStep(projectID: 1, hours: HourRange(hour: hour(30)), markIDs: [5]),
                SessionStep(projectID: 2, hours: HourRange(hour(10), hour(12)), markIDs: [1, 6]),
            ])
        #expect(plan.markCount == marks.count)
    }

    @Test func aStepIsBoundedByTheLeastBoundOfItsMarksAndByNoneIfOneHasNone() {
        func at(_ seconds: Int64) -> Timestamp { Timestamp(unixMicroseconds: seconds * 1_000_000) }
        let marks = [
            HourMark(id: 1, projectID: 1, hour: hour(3), receivedFrom: at(500)),
            HourMark(id: 2, projectID: 1, hour: hour(4), receivedFrom: at(200)),
            HourMark(id: 3, projectID: 1, hour: hour(3), receivedFrom: at(900)),
            HourMark(id: 4, projectID: 1, hour: hour(30), receivedFrom: at(100)),
            HourMark(id: 5, projectID: 1, hour: hour(30)),  // moved rows: no bound
            HourMark(id: 6, projectID: 2, hour: hour(3), receivedFrom: at(700)),
        ]
        let steps = SessionPlan(marks: marks).steps
        #expect(steps.map(\.markIDs) == [[1, 2, 3], [4, 5], [6]])
        #expect(steps.map(\.receivedFrom) == [at(200), nil, at(700)])
    }

    @Test func aFirstBuildOfAMonthIsThirtyDaySteps() {
        var marks: [HourMark] = []
        for offset in 0..<(30 * 24) {
            marks.append(HourMark(id: Int64(offset + 1), projectID: 7, hour: hour(Int64(offset))))
        }
        let plan = SessionPlan(marks: marks.shuffled())
        #expect(plan.steps.count == 30)
        #expect(plan.steps.allSatisfy { $0.hours.count == 24 && $0.markIDs.count == 24 })
        #expect(plan.steps.map(\.hours.lower) == (0..<30).map { hour(Int64($0) * 24) })
        #expect(Set(plan.steps.flatMap(\.markIDs)) == Set(marks.map(\.id)))
    }

    @Test func theOverlapWindowIsTheRangePaddedByTheGapBothEndsIncluded() {
        let step = SessionStep(projectID: 1, hours: HourRange(hour(10), hour(12)), markIDs: [1])
        let window = step.overlapWindow(.standard)
        let minute: Int64 = 60_000_000
        #expect(window.from.unixMicroseconds == hour(10).start.unixMicroseconds - 30 * minute)
        #expect(window.through.unixMicroseconds == hour(12).start.unixMicroseconds + 30 * minute)
        #expect(
            step.earliestShortVisitStart(.standard).unixMicroseconds
                == window.from.unixMicroseconds - VisitRule.longVisitMicroseconds)
    }

    @Test func noMarksNoSteps() {
        #expect(SessionPlan(marks: [HourMark]()).steps.isEmpty)
    }
}
