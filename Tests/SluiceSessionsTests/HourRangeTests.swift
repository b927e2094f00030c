import SluiceCore
import SluiceSessions
import Testing

@Suite struct HourRangeTests {
    let day = CalendarDay(year: 2026, month: 11, day: 1)!
    func hour(_ offset: Int64) -> UTCHour { UTCHour(startOf: day).adding(hours: offset) }

    @Test func adjacentHoursMergeAndAGapSplits() {
        let ranges = HourRange.merging([hour(5), hour(3), hour(4), hour(4), hour(7), hour(9), hour(10)])
        #expect(ranges == [HourRange(hour(3), hour(6)), HourRange(hour(7), hour(8)), HourRange(hour(9), hour(11))])
        #expect(ranges.map(\.count) == [3, 1, 2])
        #expect(HourRange.merging([UTCHour]()).isEmpty)
    }

    @Test func aRangeIsCutAtEveryUTCMidnight() {
        // 20:00 on Nov 1 to 05:00 on Nov 4: the rest of day 1, days 2 and 3 whole, the start of day 4.
        let range = HourRange(hour(20), hour(3 * 24 + 5))
        #expect(
            range.days == [
                HourRange(hour(20), hour(24)), HourRange(hour(24), hour(48)), HourRange(hour(48), hour(72)),
                HourRange(hour(72), hour(77)),
            ])
        #expect(range.days.map(\.count).reduce(0, +) == range.count)
        #expect(HourRange(hour(2), hour(9)).days == [HourRange(hour(2), hour(9))])
        #expect(HourRange(hour(0), hour(24)).days == [HourRange(hour(0), hour(24))])
    }

    @Test func boundsAndMembership() {
        let range = HourRange(hour(1), hour(3))
        #expect(range.start == Timestamp(unixMicroseconds: day.start.unixMicroseconds + 3_600_000_000))
        #expect(range.end == Timestamp(unixMicroseconds: day.start.unixMicroseconds + 3 * 3_600_000_000))
        #expect(range.hours == [hour(1), hour(2)])
        #expect(range.contains(hour(1)) && range.contains(hour(2)))
        #expect(!range.contains(hour(0)) && !range.contains(hour(3)))
        #expect(range.description == "[2026-11-01T01:00:00Z, 2026-11-01T03:00:00Z)")
    }

    @Test func hoursBefore1970FloorToTheirHour() {
        let instant = Timestamp(unixMicroseconds: -1)
        #expect(UTCHour(instant).unixHour == -1)
        #expect(UTCHour(instant).day == CalendarDay(year: 1969, month: 12, day: 31))
        #expect(UTCHour(Timestamp(unixMicroseconds: 0)).unixHour == 0)
        #expect(UTCHour(Timestamp(unixMicroseconds: 3_599_999_999)).unixHour == 0)
    }
}
