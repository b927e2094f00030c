import SluiceSchedulerCore
import Testing

@Suite struct SchedulePlanTests {
    let start = ContinuousClock.now

    @Test func everyJobIsLookedAtFirstThing() {
        let plan = SchedulePlan(jobCount: 3, start: start)
        #expect(plan.due(at: start) == [0, 1, 2])
        #expect(plan.nextWake(latest: start + .seconds(30)) == start)
    }

    @Test func aRunningJobIsNeverDueAndTheWakeIsTheEarliestWait() {
        var plan = SchedulePlan(jobCount: 3, start: start)
        plan.started(0)
        plan.wait(1, until: start + .seconds(10))
        plan.wait(2, until: start + .seconds(5))
        #expect(plan.due(at: start + .seconds(6)) == [2])
        #expect(plan.due(at: start + .seconds(60)) == [1, 2])
        #expect(plan.nextWake(latest: start + .seconds(30)) == start + .seconds(5))
        #expect(plan.nextWake(latest: start + .seconds(2)) == start + .seconds(2))
        #expect(plan.isRunningAny)
    }

    @Test func stoppingStartsNothingAndFinishesWhenTheLastRunEnds() {
        var plan = SchedulePlan(jobCount: 2, start: start)
        plan.started(1)
        plan.stop()
        #expect(plan.due(at: start + .seconds(60)).isEmpty)
        #expect(!plan.isFinished)
        #expect(plan.nextWake(latest: start + .seconds(30)) == start + .seconds(30))
        plan.wait(1, until: start)
        #expect(plan.isFinished)
    }
}
