import SluiceCore
import SluiceSchedulerCore
import Testing

@Suite struct JobTimetableTests {
    let now = Timestamp(unixMicroseconds: 1_795_000_000_000_000)
    let hourly = JobTimetable(interval: .seconds(3600))

    func lease(holder: String? = nil, expiresIn: Duration = .seconds(-1), startedAgo: Duration? = nil) -> LeaseSnapshot
    {
        LeaseSnapshot(
            holder: holder, expiresAt: now + expiresIn, lastStartedAt: startedAgo.map { now + (.zero - $0) }, now: now
        )
    }

    @Test func aJobThatNeverRanIsDueNow() {
        #expect(hourly.isDue(lease()))
        #expect(hourly.wait(after: lease()) == hourly.shortestWait)
    }

    @Test func aJobIsDueOneIntervalAfterItsLastStartOnAnyNode() {
        let recent = lease(startedAgo: .seconds(600))
        #expect(!hourly.isDue(recent))
        #expect(hourly.dueAt(recent) == now + .seconds(3000))
        #expect(hourly.wait(after: recent) == hourly.longestWait)
        let closeToDue = lease(startedAgo: .seconds(3590))
        #expect(hourly.wait(after: closeToDue) == .seconds(10))
        #expect(hourly.isDue(lease(startedAgo: .seconds(3600))))
    }

    @Test func aHeldLeaseIsNotDueAndIsLookedAtWhenItLapses() {
        let held = lease(holder: "a@h:1", expiresIn: .seconds(20), startedAgo: .seconds(7200))
        #expect(held.isHeld)
        #expect(!hourly.isDue(held))
        #expect(hourly.wait(after: held) == .seconds(20))
        // Due later than the lapse: wait for the due time.
        let fresh = lease(holder: "a@h:1", expiresIn: .seconds(5), startedAgo: .seconds(3590))
        #expect(hourly.wait(after: fresh) == .seconds(10))
    }

    @Test func aLapsedLeaseIsFreeWhoeverHeldIt() {
        let lapsed = lease(holder: "dead@h:1", expiresIn: .seconds(-30), startedAgo: .seconds(7200))
        #expect(!lapsed.isHeld)
        #expect(hourly.isDue(lapsed))
        #expect(!lease(holder: "a@h:1", expiresIn: .zero).isHeld, "a lease lapses at its expiry instant")
    }

    @Test func aShortIntervalIsNeverWaitedPastAndNeverPolledInATightLoop() {
        let everySecond = JobTimetable(interval: .seconds(1))
        #expect(everySecond.wait(after: lease(startedAgo: .milliseconds(400))) == .milliseconds(600))
        #expect(everySecond.wait(after: lease(startedAgo: .milliseconds(900))) == everySecond.shortestWait)
    }

    @Test func renewalComesThreeTimesPerTimeout() {
        let timing = LeaseTiming(timeout: .seconds(60))  // allow-timing: the lease timeout under test
        #expect(timing.renewalPeriod == .seconds(20))
        #expect(!timing.mustAssumeLost(sinceLastRenewal: .seconds(59)))
        #expect(timing.mustAssumeLost(sinceLastRenewal: .seconds(60)))
    }
}
