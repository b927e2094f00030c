import SluiceCore
import SluiceRollups
import Testing

@Suite struct RollupSpanTests {
    let epoch = CalendarDay(unixDay: 0)

    @Test func aBlockStartsOnAMultipleOfItsLength() {
        let day = CalendarDay("2026-11-18")!  // unix day 20,775
        #expect(day.unixDay == 20_775)
        #expect(RollupSpan(length: 2, holding: day).firstDay == CalendarDay("2026-11-17")!)
        #expect(RollupSpan(length: 16, holding: day).firstDay.unixDay == 20_768)
        #expect(RollupSpan(length: 16, holding: day).lastDay.unixDay == 20_783)
        // Days before 1970 align the same way (floor division).
        #expect(RollupSpan(length: 4, holding: CalendarDay(unixDay: -1)).firstDay.unixDay == -4)
        #expect(RollupSpan(length: 4, holding: CalendarDay(unixDay: -4)).firstDay.unixDay == -4)
        #expect(RollupSpan(length: 4, holding: CalendarDay(unixDay: -5)).firstDay.unixDay == -8)
    }

    @Test func everyDayLiesInOneBlockOfEachLength() {
        for unixDay in Int64(-70)...70 {
            let day = CalendarDay(unixDay: unixDay)
            let blocks = RollupSpan.containing(day)
            #expect(blocks.map(\.length) == RollupSpan.lengths)
            for block in blocks {
                #expect(block.firstDay <= day && day <= block.lastDay)
                #expect(block.firstDay.unixDay % Int64(block.length) == 0)
            }
        }
    }

    @Test func aBlockIsItsTwoHalves() throws {
        let block = RollupSpan(length: 16, holding: CalendarDay(unixDay: 20_775))
        let (left, right) = try #require(block.halves)
        #expect(left.length == 8 && right.length == 8)
        #expect(left.firstDay == block.firstDay)
        #expect(right.firstDay == left.lastDay.adding(days: 1))
        #expect(right.lastDay == block.lastDay)
        #expect(RollupSpan(length: 2, holding: block.firstDay).halves == nil)
    }

    @Test func changedDaysRewriteEachHoldingBlockOnceShortestFirst() {
        let days = (0..<7).map { CalendarDay(unixDay: 20_770 + $0) }  // 20,770 … 20,776
        let blocks = RollupSpan.containing(days)
        #expect(Set(blocks).count == blocks.count)
        #expect(blocks.map(\.length) == blocks.map(\.length).sorted())
        // 2-day blocks 20,770 … 20,776; 4-day 20,768, 20,772, 20,776; 8-day 20,768 and 20,776; 16: one.
        #expect(blocks.filter { $0.length == 2 }.map(\.firstDay.unixDay) == [20_770, 20_772, 20_774, 20_776])
        #expect(blocks.filter { $0.length == 4 }.map(\.firstDay.unixDay) == [20_768, 20_772, 20_776])
        #expect(blocks.filter { $0.length == 8 }.map(\.firstDay.unixDay) == [20_768, 20_776])
        #expect(blocks.filter { $0.length == 16 }.map(\.firstDay.unixDay) == [20_768])
        // Each block's halves come before it.
        for (index, block) in blocks.enumerated() {
            guard let (left, right) = block.halves else { continue }
            for half in [left, right] where blocks.contains(half) {
                #expect(blocks.firstIndex(of: half)! < index)
            }
        }
    }

    /// Every range of 1 to 400 days at every offset of a 64-day cycle: the pieces are aligned, within the
    /// range, disjoint and cover it exactly, and none could be merged into a longer block from the left.
    @Test func aRangeIsCoveredExactlyByItsPieces() {
        for offset in Int64(20_700)..<20_764 {
            for length in 1...400 {
                let from = CalendarDay(unixDay: offset)
                let to = from.adding(days: length - 1)
                let (days, spans) = RollupSpan.cover(from: from, to: to)
                var covered: [Int64] = days.map(\.unixDay)
                for span in spans {
                    #expect(span.firstDay.unixDay % Int64(span.length) == 0)
                    #expect(span.firstDay >= from && span.lastDay <= to)
                    covered += (span.firstDay.unixDay...span.lastDay.unixDay).map { $0 }
                }
                #expect(covered.sorted() == Array(from.unixDay...to.unixDay), "\(from) … \(to)")
                if length == 30 { #expect(days.count + spans.count <= 8, "\(from) … \(to)") }
            }
        }
    }

    @Test func aRangeOfOneBlockIsThatBlock() {
        let block = RollupSpan(length: 16, holding: CalendarDay(unixDay: 20_775))
        let (days, spans) = RollupSpan.cover(from: block.firstDay, to: block.lastDay)
        #expect(days.isEmpty && spans == [block])
        let single = RollupSpan.cover(from: epoch.adding(days: 3), to: epoch.adding(days: 3))
        #expect(single.days == [epoch.adding(days: 3)] && single.spans.isEmpty)
        // Days 1 … 6: 1, then 2–3, 4–5, then 6.
        let short = RollupSpan.cover(from: epoch.adding(days: 1), to: epoch.adding(days: 6))
        #expect(short.days.map(\.unixDay) == [1, 6])
        #expect(short.spans.map(\.description) == ["1970-01-03+2", "1970-01-05+2"])
    }
}
