import SluiceSchedulerCore
import Testing

@Suite struct JobPacingTests {
    @Test func aTwentiethShareOwesNineteenTimesTheWork() {
        #expect(JobPacing.standard.pause(after: .milliseconds(100)) == .milliseconds(1_900))
        #expect(JobPacing(busyShare: 0.5).pause(after: .seconds(3)) == .seconds(3))
        #expect(JobPacing(busyShare: 0.25).pause(after: .seconds(2)) == .seconds(6))
    }

    @Test func aFullShareNeverPauses() {
        #expect(!JobPacing.off.yields)
        #expect(JobPacing.off.pause(after: .seconds(60)) == .zero)
        #expect(JobPacing.standard.yields)
    }

    @Test func noWorkOwesNoPause() {
        #expect(JobPacing.standard.pause(after: .zero) == .zero)
        #expect(JobPacing.standard.pause(after: .zero - .seconds(1)) == .zero)
    }

    @Test func percentagesFromOneToAHundredParse() {
        #expect(JobPacing(percent: "5") == JobPacing(busyShare: 0.05))
        #expect(JobPacing(percent: "12.5") == JobPacing(busyShare: 0.125))
        #expect(JobPacing(percent: "100") == .off)
        #expect(JobPacing(percent: "1") == JobPacing(busyShare: 0.01))
        for bad in ["0", "0.5", "101", "-5", "five", "", "nan", "inf", "5%"] {
            #expect(JobPacing(percent: bad) == nil, "\(bad)")
        }
    }

    @Test func aShareReadsBackAsThePercentItParsedFrom() {
        #expect(JobPacing.standard.percent == "5")
        #expect(JobPacing.off.percent == "100")
        for text in ["1", "5", "12.5", "33.25", "100"] {
            #expect(JobPacing(percent: text)?.percent == text, "\(text)")
        }
    }
}
