import Foundation
import SluicePostgres
import SluiceHangGuard
import SluiceScheduler
import SluiceSchedulerCore
import SluiceTestSupport
import Testing

/// A job that works until it is told to stop, then reports why.
struct StopWatcherJob: Job {
    let name = "stop_watcher"
    let defaultInterval: Duration = .seconds(60)
    let leaseTimeout: Duration = .seconds(3)

    func run(_ context: JobContext) throws -> JobOutcome {
        try HangGuard.wait(for: "the run to be told to stop") { context.shouldStop }
        try context.checkLease()
        return JobOutcome(rowsTouched: 0, summary: "finished without losing the lease")
    }
}

@Suite struct LeaseHeartbeatTests {
    @Test func aRunWhoseLeaseIsTakenOverIsToldToStopAndRecordedFailed() async throws {
        let url = try migratedDatabase("takeover")
        let connection = try PostgresConnection(url)
        let job = StopWatcherJob()
        let runner = JobRunner(connectionString: url, holder: "a@test:1", logger: testLogger)
        guard
            case .claimed(let claim) = try runner.claim(
                job, timing: LeaseTiming(timeout: .seconds(3)), dueAfter: nil, on: connection)  // allow-timing: the lease timeout under test
        else {
            Issue.record("a could not take a free lease")
            return
        }
        let running = Task { try await offThePool { runner.execute(job, claim: claim) } }
        // Another holder takes the lease over while the run works (as after the run's node was paused).
        try connection.execute(
            """
            UPDATE sluice.job_leases SET holder = 'b@test:2', token = token + 1, acquired_at = now(),
                expires_at = now() + interval '10 minutes'
            WHERE job = 'stop_watcher'
            """
        )
        let report = try await running.value
        #expect(report.run.status == .failed)
        #expect(report.run.error?.contains("the lease was lost") == true, "\(report.run.error ?? "nil")")
        #expect(report.run.error?.contains("taken over or had lapsed before the run finished") == true)
        #expect(try connection.query("SELECT holder FROM sluice.job_leases").string(0, 0) == "b@test:2")
        #expect(try RecordedRun.all("stop_watcher", on: connection).map(\.status) == ["failed"])
    }
}
