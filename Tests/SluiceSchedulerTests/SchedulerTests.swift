import Foundation
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import Synchronization
import Testing

/// A job that records its entry and exit in the database and stays inside for `hold`: if two runs ever
/// overlap, `sluice_test.overlap_probe.max_active` reaches 2.
struct OverlapProbeJob: Job {
    let name = "overlap_probe"
    let defaultInterval: Duration = .seconds(1)
    let leaseTimeout: Duration = .seconds(5)
    let hold: Duration

    static func create(on connection: PostgresConnection) throws {
        try connection.execute(
            """
            CREATE SCHEMA sluice_test;
            CREATE TABLE sluice_test.overlap_probe (active int NOT NULL, max_active int NOT NULL);
            INSERT INTO sluice_test.overlap_probe VALUES (0, 0);
            CREATE TABLE sluice_test.overlap_visits (
                holder text NOT NULL, entered_at timestamptz NOT NULL, exited_at timestamptz
            );
            """
        )
    }

    /// Enters and leaves in autocommit statements, unfenced: the probe records what happened even if a
    /// broken lease let two runs in (a fenced write would be refused and hide the overlap).
    func run(_ context: JobContext) throws -> JobOutcome {
        let connection = context.connection
        try connection.execute(
            "UPDATE sluice_test.overlap_probe SET active = active + 1, max_active = greatest(max_active, active + 1)")
        let visit = try connection.query(
            "INSERT INTO sluice_test.overlap_visits VALUES ($1, clock_timestamp()) RETURNING ctid::text", [context.node]
        ).string(0, 0)
        Thread.sleep(forTimeInterval: Double(hold.milliseconds) / 1000)  // allow-timing: the job's own work, long enough to overlap
        try connection.query(
            "UPDATE sluice_test.overlap_visits SET exited_at = clock_timestamp() WHERE ctid = $1::tid", [visit])
        try connection.execute("UPDATE sluice_test.overlap_probe SET active = active - 1")
        return JobOutcome(rowsTouched: 2, summary: "visited")
    }
}

/// A job that fails in the ways named by `failures`, one per run, then succeeds.
struct FlakyJob: Job {
    enum Failure: Sendable { case thrown, connectionKilled }

    let name = "flaky"
    let defaultInterval: Duration = .seconds(1)
    let leaseTimeout: Duration = .seconds(5)
    let failures: [Failure]
    let attempts = Attempts()

    final class Attempts: Sendable {
        let count = Atomic<Int>(0)
    }

    struct InjectedFailure: Error, CustomStringConvertible {
        let description = "injected failure: the job threw"
    }

    func run(_ context: JobContext) throws -> JobOutcome {
        let attempt = attempts.count.add(1, ordering: .relaxed).newValue
        if attempt <= failures.count {
            switch failures[attempt - 1] {
            case .thrown:
                throw InjectedFailure()
            case .connectionKilled:
                // The test terminates this backend while it sleeps: the database is gone under the job.
                try context.connection.execute("SELECT pg_sleep(600) /* flaky-victim */")
            }
        }
        try context.transaction { try $0.execute("SELECT 1") }
        return JobOutcome(rowsTouched: 7, summary: "succeeded on attempt \(attempt)")
    }
}

@Suite struct SchedulerTests {
    @Test func twoSchedulersNeverRunAJobAtOnce() async throws {
        let url = try migratedDatabase("overlap")
        let connection = try PostgresConnection(url)
        try OverlapProbeJob.create(on: connection)
        // Runs last longer than the interval, so only the lease (not the due rule) can keep them apart.
        let job = OverlapProbeJob(hold: .milliseconds(1500))
        let entries = [Scheduler.Entry(job, interval: .seconds(1), leaseTimeout: .seconds(3))]
        let a = RunningScheduler(url, holder: "a@test:1", entries: entries)
        let b = RunningScheduler(url, holder: "b@test:2", entries: entries)

        try await waitUntil("8 visits of the probe") {
            try connection.query("SELECT count(*) FROM sluice_test.overlap_visits WHERE exited_at IS NOT NULL")
                .int(0, 0) ?? 0 >= 8
        }
        try await a.stop()
        try await b.stop()
        // They did contend: a scheduler looked while the other's run was in flight, and found the lease held.
        #expect(a.skipped("overlap_probe") + b.skipped("overlap_probe") >= 1)

        #expect(try connection.query("SELECT max_active, active FROM sluice_test.overlap_probe").rows == [["1", "0"]])
        // The probe's own clock readings: each visit ends before the next one begins.
        let visits = try connection.query(
            """
            SELECT count(*) FROM (
                SELECT exited_at, lead(entered_at) OVER (ORDER BY entered_at) AS next_entered
                FROM sluice_test.overlap_visits
            ) AS v WHERE next_entered < exited_at OR exited_at IS NULL
            """
        )
        #expect(try visits.int(0, 0) == 0)
        let runs = try RecordedRun.all("overlap_probe", on: connection)
        #expect(runs.allSatisfy { $0.status == "succeeded" }, "\(runs.map(\.status))")
        expectDisjoint(runs)
        // Every run took the lease anew: the tokens are 1, 2, 3, … in order of the runs.
        #expect(runs.compactMap(\.token) == Array(1...runs.count))
        let lease = try connection.query("SELECT holder, token FROM sluice.job_leases WHERE job = 'overlap_probe'")
        #expect(lease.rows == [[nil, String(runs.count)]])
    }

    @Test func aStaleHoldersTransactionAfterATakeoverIsRolledBack() async throws {
        let url = try migratedDatabase("fence")
        let connection = try PostgresConnection(url)
        try connection.execute("CREATE TABLE public.fenced_writes (holder text NOT NULL)")
        func claim(_ holder: String) throws -> ClaimResult {
            try JobLeaseStore.claim(
                job: "fence_probe", holder: holder, timing: LeaseTiming(timeout: .seconds(1)), dueAfter: nil,  // allow-timing: the lease timeout under test
                on: connection
            )
        }
        guard case .claimed(let stale) = try claim("a@test:1") else {
            Issue.record("a could not take a free lease"); return
        }
        // A stops renewing (paused, cut off): no heartbeat runs for it. Wait for the lease to lapse.
        try await waitUntil("the lease lapsing") {
            try !JobLeaseStore.snapshot(job: "fence_probe", on: connection).isHeld
        }
        guard case .claimed(let fresh) = try claim("b@test:2") else {
            Issue.record("b could not take a lapsed lease"); return
        }
        #expect(fresh.lease.token == stale.lease.token + 1)

        let staleContext = JobContext(
            connection: try PostgresConnection(url), lease: stale.lease, signals: RunSignals(), logger: testLogger
        )
        let refused = #expect(throws: JobError.self) {
            try staleContext.transaction { try $0.execute("INSERT INTO public.fenced_writes VALUES ('a')") }
        }
        #expect(refused?.code == .leaseLost)
        let freshContext = JobContext(
            connection: try PostgresConnection(url), lease: fresh.lease, signals: RunSignals(), logger: testLogger
        )
        try freshContext.transaction { try $0.execute("INSERT INTO public.fenced_writes VALUES ('b')") }
        #expect(try connection.query("SELECT holder FROM public.fenced_writes").rows == [["b"]])

        // The fence refuses to run where it could protect nothing.
        let outside = #expect(throws: JobError.self) { try freshContext.fence(freshContext.connection) }
        #expect(outside?.code == .notInTransaction)

        // A's run, ending, is recorded as failed and leaves B's lease alone.
        let finished = try JobLeaseStore.finish(
            stale, outcome: .success(JobOutcome(rowsTouched: 1, summary: "x")), on: connection)
        #expect(finished.run.status == .failed)
        #expect(finished.run.error?.contains("taken over or had lapsed") == true)
        #expect(finished.lease.holder == "b@test:2")
        #expect(try connection.query("SELECT token FROM sluice.job_leases").int(0, 0) == Int(fresh.lease.token))
    }

    @Test func nobodyTakesALeaseWhileItsHoldersFencedTransactionIsOpenButAStalledOneEnds() async throws {
        let url = try migratedDatabase("fencelock")
        let connection = try PostgresConnection(url)
        try connection.execute("CREATE TABLE public.fenced_writes (holder text NOT NULL)")
        let timing = LeaseTiming(timeout: .seconds(5))  // allow-timing: the lease timeout under test
        func claim(_ holder: String) throws -> ClaimResult {
            try JobLeaseStore.claim(job: "fence_probe", holder: holder, timing: timing, dueAfter: nil, on: connection)
        }
        guard case .claimed(let first) = try claim("a@test:1") else {
            Issue.record("a could not take a free lease"); return
        }
        let holderConnection = try PostgresConnection(url)
        let context = JobContext(
            connection: holderConnection, lease: first.lease, signals: RunSignals(), logger: testLogger)
        try holderConnection.execute("BEGIN")
        try holderConnection.execute("INSERT INTO public.fenced_writes VALUES ('a')")
        // A is slow: its lease lapses before it fences, but nobody took it over, so the token still matches
        // and the fence succeeds (and renews the lease).
        try await waitUntil("the lease lapsing") {
            try !JobLeaseStore.snapshot(job: "fence_probe", on: connection).isHeld
        }
        try context.fence(holderConnection)
        // A now stalls between its fence and its commit. Its transaction keeps the lease row locked, so B finds
        // the lease held, although the committed expiry has passed.
        guard case .held = try claim("b@test:2") else {
            Issue.record("b took a lease whose holder's fenced transaction was still open")
            return
        }
        // PostgreSQL ends A's stalled transaction after the lease timeout (idle_in_transaction_session_timeout),
        // and B gets the lease.
        var taken: JobClaim?
        try await waitUntil("b taking over from a stalled holder") {
            if case .claimed(let claim) = try claim("b@test:2") { taken = claim }
            return taken != nil
        }
        #expect(taken?.lease.token == first.lease.token + 1)
        #expect(throws: PostgresError.self) { try holderConnection.execute("COMMIT") }
        #expect(try connection.query("SELECT count(*) FROM public.fenced_writes").int(0, 0) == 0)
    }

    @Test func failuresAreRecordedAndRetriedOnTheNextInterval() async throws {
        let url = try migratedDatabase("flaky")
        let connection = try PostgresConnection(url)
        let job = FlakyJob(failures: [.thrown, .connectionKilled])
        let scheduler = RunningScheduler(
            url, holder: "a@test:1", entries: [Scheduler.Entry(job, interval: .seconds(1))])

        try await waitUntil("the second run sleeping in the database") {
            try connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    + "WHERE query LIKE '%flaky-victim%' AND pid <> pg_backend_pid()"
            ).rowCount > 0
        }
        try await waitUntil("a successful run after two failures") {
            try RecordedRun.all("flaky", on: connection).contains { $0.status == "succeeded" }
        }
        try await scheduler.stop()

        // The scheduler may have run the job again (interval 1 s) before it stopped: later runs all succeed.
        let runs = try RecordedRun.all("flaky", on: connection)
        try #require(runs.count >= 3)
        #expect(runs.map(\.status) == ["failed", "failed"] + Array(repeating: "succeeded", count: runs.count - 2))
        #expect(runs[0].error == "injected failure: the job threw")
        #expect(runs[1].error?.contains("terminat") == true, "\(runs[1].error ?? "nil")")
        #expect(runs[2].rowsTouched == 7 && runs[2].summary == "succeeded on attempt 3")
        #expect(runs.allSatisfy { $0.finishedAt != nil })
        // Each retry came one interval (1 s) after the previous run started, not sooner.
        for (earlier, later) in zip(runs, runs.dropFirst()) {
            #expect(later.startedAt - earlier.startedAt >= 1_000_000)
        }
        let lastRun = try #require(runs.last)
        let lease = try connection.query(
            "SELECT holder, (extract(epoch FROM last_succeeded_at) * 1000000)::bigint FROM sluice.job_leases "
                + "WHERE job = 'flaky'"
        )
        #expect(lease.string(0, 0) == nil)
        #expect(try lease.int(0, 1).map(Int64.init) == lastRun.finishedAt)

        #expect(scheduler.metric(#"sluice_job_runs_total{job="flaky",status="failed"}"#) == 2)
        #expect(scheduler.metric(#"sluice_job_runs_total{job="flaky",status="succeeded"}"#) == Double(runs.count - 2))
        #expect(scheduler.metric(#"sluice_job_duration_seconds_count{job="flaky"}"#) == Double(runs.count))
        #expect(scheduler.metric(#"sluice_job_running{job="flaky"}"#) == 0)
        let lastSuccess = try #require(scheduler.metric(#"sluice_job_last_success_timestamp_seconds{job="flaky"}"#))
        #expect(Int64((lastSuccess * 1_000_000).rounded()) == lastRun.finishedAt)
    }
}
