import SluiceStats
import Testing

@Suite struct StatsMeasuresTests {
    @Test func ratesRoundHalfAwayFromZero() {
        // 1 bounce of 8 visits is 12.5 %: 13. 3 of 8 is 37.5 %: 38 (not banker's 38/… either way), 1 of 3: 33.
        #expect(StatsMeasures(visits: 8, bounces: 1).value(.bounceRate) == .integer(13))
        #expect(StatsMeasures(visits: 8, bounces: 3).value(.bounceRate) == .integer(38))
        #expect(StatsMeasures(visits: 3, bounces: 1).value(.bounceRate) == .integer(33))
        #expect(StatsMeasures(visits: 2, bounces: 1).value(.bounceRate) == .integer(50))
    }

    @Test func visitDurationIsTheMeanInWholeSeconds() {
        #expect(StatsMeasures(visits: 2, durationMicroseconds: 3_000_000).value(.visitDuration) == .integer(2))
        #expect(StatsMeasures(visits: 2, durationMicroseconds: 2_999_999).value(.visitDuration) == .integer(1))
        #expect(StatsMeasures(visits: 4, durationMicroseconds: 2_000_000).value(.visitDuration) == .integer(1))
    }

    @Test func viewsPerVisitAndConversionRateHaveTwoDecimals() {
        #expect(StatsMeasures(visits: 3, visitPageviews: 7).value(.viewsPerVisit) == .hundredths(233))
        #expect(StatsMeasures(visits: 8, visitPageviews: 1).value(.viewsPerVisit) == .hundredths(13))
        #expect(StatsMeasures(visitors: 1).value(.conversionRate, totalVisitors: 8) == .hundredths(1250))
        #expect(StatsMeasures(visitors: 1).value(.conversionRate, totalVisitors: 3) == .hundredths(3333))
    }

    @Test func nothingToDivideIsZero() {
        let empty = StatsMeasures()
        for metric in StatsMetric.allCases {
            #expect(empty.value(metric).description == "0")
        }
    }

    @Test func hugeSumsDoNotOverflow() {
        let measures = StatsMeasures(visits: 3, durationMicroseconds: .max, visitPageviews: .max)
        #expect(measures.value(.visitDuration) == .integer(Int64.max / 3 / 1_000_000))
    }

    @Test(arguments: [(0, "0"), (7, "0.07"), (50, "0.5"), (233, "2.33"), (300, "3"), (1250, "12.5"), (10000, "100")])
    func printsHundredthsWithoutTrailingZeros(_ hundredths: Int64, _ text: String) {
        #expect(StatsNumber.hundredths(hundredths).description == text)
    }
}
