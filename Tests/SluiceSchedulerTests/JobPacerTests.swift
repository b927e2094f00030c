import SluiceScheduler
import SluiceSchedulerCore
import Synchronization
import Testing

/// The pacer's bookkeeping on a clock of the test's own: pausing advances it, and work is a step forward.
@Suite struct JobPacerTests {
    final class Clock: @unchecked Sendable {
        private(set) var instant = ContinuousClock.now
        private(set) var sleeps: [Duration] = []
        /// Called after each pause, e.g. to ease the foreground.
        var afterSleep: () -> Void = {}

        func advance(_ duration: Duration) { instant += duration }

        func pause(_ duration: Duration) {
            sleeps.append(duration)
            instant += duration
            afterSleep()
        }
    }

    final class Flag: Sendable {
        private let value: Atomic<Bool>
        init(_ initial: Bool) { value = Atomic(initial) }
        var isSet: Bool { value.load(ordering: .relaxed) }
        func set(_ new: Bool) { value.store(new, ordering: .relaxed) }
    }

    func pacer(share: Double, saturated: Flag, clock: Clock) -> JobPacer {
        JobPacer(
            JobYielding(pacing: JobPacing(busyShare: share), isSaturated: { saturated.isSet }),
            now: { clock.instant }, sleep: { clock.pause($0) }
        )
    }

    @Test func whileSaturatedARunPausesWhatItsWorkOwesInSlices() {
        let clock = Clock()
        let pacer = pacer(share: 0.2, saturated: Flag(true), clock: clock)
        clock.advance(.milliseconds(30))
        pacer.pace(shouldStop: { false })
        // 30 ms of work at a fifth of the time owes 120 ms: two full slices and the rest.
        #expect(clock.sleeps == [.milliseconds(50), .milliseconds(50), .milliseconds(20)])
        #expect(pacer.yielded == .milliseconds(120))
        // The pause itself is not work: the next unit owes only for its own.
        clock.advance(.milliseconds(10))
        pacer.pace(shouldStop: { false })
        #expect(pacer.yielded == .milliseconds(160))
    }

    @Test func anUnsaturatedForegroundCostsNoPauseAndForgivesTheWorkBefore() {
        let clock = Clock()
        let saturated = Flag(false)
        let pacer = pacer(share: 0.5, saturated: saturated, clock: clock)
        clock.advance(.seconds(5))
        pacer.pace(shouldStop: { false })
        #expect(clock.sleeps.isEmpty)
        saturated.set(true)
        clock.advance(.milliseconds(40))
        pacer.pace(shouldStop: { false })
        #expect(pacer.yielded == .milliseconds(40))
    }

    @Test func thePauseEndsOnceTheForegroundEases() {
        let clock = Clock()
        let saturated = Flag(true)
        let pacer = pacer(share: 0.05, saturated: saturated, clock: clock)
        var slept = 0
        clock.afterSleep = {
            slept += 1
            if slept == 3 { saturated.set(false) }
        }
        clock.advance(.seconds(1))
        pacer.pace(shouldStop: { false })
        #expect(clock.sleeps.count == 3)
        #expect(pacer.yielded == .milliseconds(150))
    }

    @Test func aStopRequestEndsThePause() {
        let clock = Clock()
        let pacer = pacer(share: 0.05, saturated: Flag(true), clock: clock)
        clock.advance(.seconds(10))
        pacer.pace(shouldStop: { clock.sleeps.count >= 2 })
        #expect(clock.sleeps.count == 2)
    }

    @Test func withoutYieldingOrWithAFullShareNothingPauses() {
        let clock = Clock()
        let full = pacer(share: 1, saturated: Flag(true), clock: clock)
        let none = JobPacer(nil, now: { clock.instant }, sleep: { clock.pause($0) })
        clock.advance(.seconds(3))
        full.pace(shouldStop: { false })
        none.pace(shouldStop: { false })
        #expect(clock.sleeps.isEmpty)
        #expect(full.yielded == .zero && none.yielded == .zero)
    }
}
