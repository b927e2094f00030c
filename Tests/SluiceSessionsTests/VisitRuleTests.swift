import SluiceCore
import SluiceSessions
import Testing

@Suite struct VisitRuleTests {
    let start = Timestamp(unixMicroseconds: 1_790_000_000_000_000)

    func later(_ seconds: Int64, micro: Int64 = 0) -> Timestamp {
        Timestamp(unixMicroseconds: start.unixMicroseconds + seconds * 1_000_000 + micro)
    }

    @Test func thirtyMinutesExactlyStillJoinsTheVisit() {
        let rule = VisitRule.standard
        #expect(rule.continues(after: start, with: later(29 * 60)))
        #expect(rule.continues(after: start, with: later(30 * 60)))
        #expect(!rule.continues(after: start, with: later(30 * 60, micro: 1)))
        #expect(!rule.continues(after: start, with: later(31 * 60)))
        #expect(rule.continues(after: start, with: start))
    }

    @Test func theGapIsWrittenAsAnIntervalPostgreSQLReads() {
        #expect(VisitRule.standard.intervalText == "1800000000 microseconds")
        #expect(VisitRule(maximumGapMicroseconds: 5).intervalText == "5 microseconds")
    }
}
