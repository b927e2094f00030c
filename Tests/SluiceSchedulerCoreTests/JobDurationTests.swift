import SluiceSchedulerCore
import Testing

@Suite struct JobDurationTests {
    @Test func readsSecondsAndUnits() {
        #expect(JobDuration.parse("90") == .seconds(90))
        #expect(JobDuration.parse("90s") == .seconds(90))
        #expect(JobDuration.parse("15m") == .seconds(900))
        #expect(JobDuration.parse("2h") == .seconds(7200))
        #expect(JobDuration.parse("1d") == .seconds(86_400))
        #expect(JobDuration.parse("366d") == .seconds(366 * 86_400))
    }

    @Test func refusesWhatIsNotAWholeDurationInRange() {
        for text in ["", "0", "0s", "-5", "1.5h", "h", "5x", "5 m", "367d", "99999999999999999999", "９０", "1e3"] {
            #expect(JobDuration.parse(text) == nil, "\(text)")
        }
    }

    @Test func formatsInTheLargestExactUnit() {
        #expect(JobDuration.format(.seconds(3600)) == "1h")
        #expect(JobDuration.format(.seconds(90)) == "90s")
        #expect(JobDuration.format(.seconds(900)) == "15m")
        #expect(JobDuration.format(.seconds(172_800)) == "2d")
        #expect(JobDuration.format(.milliseconds(1500)) == "1500ms")
        #expect(JobDuration.format(.zero) == "0s")
        for seconds in [1, 59, 61, 3599, 86_399, 90_000] {
            #expect(JobDuration.parse(JobDuration.format(.seconds(seconds))) == .seconds(seconds))
        }
    }
}
