import Foundation
import Logging
import SluicePostgres
import SluiceSchedulerCore

/// The scheduler's own thread: looks at each job's lease when its `SchedulePlan` says so, starts every run it
/// wins on a thread of the run's own, and sleeps until the next look, a run's end, or a stop.
///
/// `condition` guards `plan` and `inFlight`; job threads take it to report their end, `stop()` to ask for
/// one. Every decision to sleep is made under the lock after reading that state, so no wake-up is lost.
final class SchedulerLoop: @unchecked Sendable {
    private let condition = NSCondition()
    private var plan: SchedulePlan
    private var inFlight: [Int: RunSignals] = [:]

    let entries: [Scheduler.Entry]
    let runner: JobRunner
    let metrics: SchedulerMetrics?
    let logger: Logger
    /// Completed when the thread has ended: stopped, and every run it started has finished.
    let finished = CompletionLatch()

    /// How often the last-success gauges are refreshed from the database.
    static let gaugeRefresh: Duration = .seconds(30)

    init(entries: [Scheduler.Entry], runner: JobRunner, metrics: SchedulerMetrics?, logger: Logger) {
        self.entries = entries
        self.runner = runner
        self.metrics = metrics
        self.logger = logger
        self.plan = SchedulePlan(jobCount: entries.count, start: .now)
    }

    func start() {
        let thread = Thread { [self] in
            loop()
            finished.complete()
        }
        thread.name = "sluice-scheduler"
        thread.start()
    }

    /// Starts no more runs and asks the runs in flight to stop at their next chance; the thread ends when
    /// they have.
    func stop() {
        condition.lock()
        plan.stop()
        inFlight.values.forEach { $0.requestStop() }
        condition.broadcast()
        condition.unlock()
    }

    private func loop() {
        var control: PostgresConnection?
        var gaugesRefreshed: ContinuousClock.Instant?
        while true {
            condition.lock()
            let due = plan.isFinished ? nil : plan.due(at: .now)
            condition.unlock()
            guard let due else { return }
            for index in due { attempt(index, control: &control) }
            if let metrics, gaugesRefreshed.map({ .now - $0 >= Self.gaugeRefresh }) ?? true {
                if let control, let successes = try? JobRunLog.lastSuccesses(on: control) {
                    successes.forEach { metrics.lastSucceeded($0.key, at: $0.value) }
                    gaugesRefreshed = .now
                }
            }
            condition.lock()
            if !plan.isFinished {
                let wake = plan.nextWake(latest: .now + Self.gaugeRefresh)
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double((wake - .now).milliseconds) / 1000))
            }
            condition.unlock()
        }
    }

    /// Looks at job `index`'s lease on the control connection, and starts a run if it was won.
    private func attempt(_ index: Int, control: inout PostgresConnection?) {
        let entry = entries[index]
        do {
            if control?.isOpen != true {
                control = try PostgresConnection.connect(runner.connectionString, retry: .never)
            }
            switch try runner.claim(entry.job, timing: entry.timing, dueAfter: entry.interval, on: control!) {
            case .claimed(let claim):
                let signals = RunSignals()
                condition.lock()
                plan.started(index)
                inFlight[index] = signals
                if plan.isStopping { signals.requestStop() }
                condition.unlock()
                let thread = Thread { [self] in
                    let report = runner.execute(entry.job, claim: claim, signals: signals)
                    let wait = report.lease.map { entry.timetable.wait(after: $0) } ?? entry.retryAfterError
                    condition.lock()
                    inFlight[index] = nil
                    plan.wait(index, until: .now + wait)
                    condition.broadcast()
                    condition.unlock()
                }
                thread.name = "sluice-job-\(entry.job.name)"
                thread.start()
            case .held(let lease):
                metrics?.skipped(entry.job.name)
                wait(index, entry.timetable.wait(after: lease))
            case .notDue(let lease):
                wait(index, entry.timetable.wait(after: lease))
            }
        } catch {
            control = nil
            logger.warning(
                "could not look at a job's lease; trying again in \(JobDuration.format(entry.retryAfterError))",
                metadata: ["job": "\(entry.job.name)", "error": "\(error)"]
            )
            wait(index, entry.retryAfterError)
        }
    }

    private func wait(_ index: Int, _ duration: Duration) {
        condition.lock()
        plan.wait(index, until: .now + duration)
        condition.unlock()
    }
}
