import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import Synchronization
import Testing

/// Runs that yield to a saturated loader, through the real scheduler and database.
@Suite struct JobYieldingTests {
    /// Three units of real work, pacing before each, as the sessions and rollups jobs do.
    struct UnitsJob: Job {
        let name = "paced_units"
        var defaultInterval: Duration { .seconds(3600) }
        var leaseTimeout: Duration { .seconds(60) }  // allow-timing: a lease no test run comes near

        func run(_ context: JobContext) throws -> JobOutcome {
            var rows: Int64 = 0
            for _ in 0..<3 {
                context.pace()
                rows += Int64(
                    try context.transaction { connection in
                        try connection.query("SELECT count(*) FROM generate_series(1, 50000)").int(0, 0) ?? 0
                    })
            }
            return JobOutcome(rowsTouched: rows, summary: "3 units")
        }
    }

    /// One unit of real work and no pace of its own: what it owes is paid when the run ends.
    struct OneUnitJob: Job {
        let name = "paced_units"
        var defaultInterval: Duration { .seconds(3600) }
        var leaseTimeout: Duration { .seconds(60) }  // allow-timing: a lease no test run comes near

        func run(_ context: JobContext) throws -> JobOutcome {
            let rows = try context.transaction { connection in
                try connection.query("SELECT count(*) FROM generate_series(1, 50000)").int(0, 0) ?? 0
            }
            return JobOutcome(rowsTouched: Int64(rows), summary: "1 unit")
        }
    }

    /// Runs `UnitsJob` once under a scheduler whose loader is `saturated`; returns its recorded run and the
    /// scheduler's yield counter.
    func runOnce(_ label: String, _ job: any Job = UnitsJob(), saturated: Bool) async throws
        -> (run: RecordedRun, yieldSeconds: Double?)
    {
        let url = try migratedDatabase(label)
        let connection = try PostgresConnection(url)
        let scheduler = RunningScheduler(
            url, holder: "a@test:1", entries: [Scheduler.Entry(job)],
            yielding: JobYielding(pacing: JobPacing(busyShare: 0.5), isSaturated: { saturated })
        )
        try await waitUntil("the paced run to finish") {
            try RecordedRun.all("paced_units", on: connection).contains { $0.status == "succeeded" }
        }
        try await scheduler.stop()
        let run = try #require(try RecordedRun.all("paced_units", on: connection).first)
        return (run, scheduler.metric("sluice_job_yield_seconds_total{job=\"paced_units\"}"))
    }

    @Test func aRunPausesForASaturatedLoaderAndRecordsHowLong() async throws {
        let (run, yieldSeconds) = try await runOnce("yielding", saturated: true)
        #expect(run.rowsTouched == 150_000)
        let summary = try #require(run.summary)
        #expect(summary.hasPrefix("3 units; yielded "), "\(summary)")
        #expect(summary.hasSuffix(" s to the saturated loader"), "\(summary)")
        // The work before each of the three paces was real (a connection, then two queries), so it paused.
        #expect((yieldSeconds ?? 0) > 0, "\(String(describing: yieldSeconds))")
    }

    @Test func theWorkAfterARunsLastPaceIsPaidBeforeItEnds() async throws {
        let (run, yieldSeconds) = try await runOnce("yieldingatend", OneUnitJob(), saturated: true)
        #expect(run.rowsTouched == 50_000)
        let summary = try #require(run.summary)
        #expect(summary.hasPrefix("1 unit; yielded "), "\(summary)")
        #expect((yieldSeconds ?? 0) > 0, "\(String(describing: yieldSeconds))")
    }

    @Test func aRunBesideAnEasedLoaderNeverPauses() async throws {
        let (run, yieldSeconds) = try await runOnce("notyielding", saturated: false)
        #expect(run.summary == "3 units")
        #expect(yieldSeconds == 0)
    }
}
