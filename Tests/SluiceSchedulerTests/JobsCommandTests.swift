import EmbeddedPostgres
import Foundation
import SluiceCore
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import SluiceTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// `sluice jobs run` and `sluice jobs status` as cron and scripts run them, against schedulers in this process.
@Suite struct JobsCommandTests {
    /// A partitions window of 4 days (today - 2 … today + 1), so a fresh database is missing partitions and
    /// a run needs the lock on analytics.events.
    /// A lock timeout beyond the hang guard: a run blocked by `EventsTableBlocker` stays blocked inside its
    /// run until released, instead of giving up after its attempts (PartitionLockTests covers those).
    let window = ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1", "SLUICE_PARTITIONS_LOCK_TIMEOUT": "3600"]

    func partitionsEntry() throws -> Scheduler.Entry {
        Scheduler.Entry(
            try PartitionsJob(environment: window), interval: .seconds(1), leaseTimeout: .seconds(3)
        )
    }

    func runningRun(of job: String, byNodePrefix prefix: String, on connection: PostgresConnection) throws -> Bool {
        try RecordedRun.all(job, on: connection).contains { $0.status == "running" && $0.node.hasPrefix(prefix) }
    }

    /// Starts `sluice jobs run partitions` with `leaseTimeout` and waits until it holds the lease and waits
    /// inside its run for the table lock that `blocker` holds.
    func startBlockedCronRun(_ url: String, blocker: EventsTableBlocker, leaseTimeout: String) async throws
        -> BackgroundProcess
    {
        let cron = try SluiceBinary.start(
            ["jobs", "run", "partitions", "--database-url", url],
            environment: window.merging(["SLUICE_JOB_LEASE_TIMEOUT_PARTITIONS": leaseTimeout]) { $1 }
        )
        let connection = try PostgresConnection(url)
        try await waitUntil("the cron run holding the lease, blocked inside its run") {
            try runningRun(of: "partitions", byNodePrefix: "jobs-run@", on: connection) && blocker.hasWaiter()
        }
        return cron
    }

    @Test func jobsRunAndTwoSchedulersNeverRunPartitionsAtOnce() async throws {
        let url = try migratedDatabase("threeway")
        let connection = try PostgresConnection(url)
        // The cron run takes the lease first and then waits inside its run for the table lock.
        let blocker = try EventsTableBlocker(url)
        let cron = try await startBlockedCronRun(url, blocker: blocker, leaseTimeout: "3s")
        let a = RunningScheduler(url, holder: "a@test:1", entries: [try partitionsEntry()])
        let b = RunningScheduler(url, holder: "b@test:2", entries: [try partitionsEntry()])
        // Each scheduler finds the lease held three times; with a 3 s lease that spans several timeouts, so the
        // cron run's heartbeat is what keeps its lease.
        try await waitUntil("both schedulers finding the lease held three times") {
            a.skipped("partitions") >= 3 && b.skipped("partitions") >= 3
        }
        let meanwhile = try RecordedRun.all("partitions", on: connection)
        #expect(meanwhile.count == 1, "only the cron run may have started: \(meanwhile.map(\.node))")
        try blocker.release()
        #expect(try await cron.finished() == 0, "\(cron.log)")
        #expect(cron.log.contains("partitions: created 4"), "\(cron.log)")

        try await waitUntil("the schedulers running the job after the cron run") {
            try RecordedRun.all("partitions", on: connection).filter { $0.status == "succeeded" }.count >= 4
        }
        try await a.stop()
        try await b.stop()
        let runs = try RecordedRun.all("partitions", on: connection)
        #expect(runs.first?.node.hasPrefix("jobs-run@") == true && runs.first?.status == "succeeded")
        #expect(runs.allSatisfy { $0.status == "succeeded" }, "\(runs.map(\.status))")
        expectDisjoint(runs)
    }

    @Test func jobsRunSkipsAJobAnotherProcessRunsAndWaitsWhenAsked() async throws {
        let url = try migratedDatabase("skip")
        let connection = try PostgresConnection(url)
        let blocker = try EventsTableBlocker(url)
        let scheduler = RunningScheduler(url, holder: "a@test:1", entries: [try partitionsEntry()])
        try await waitUntil("the scheduler holding the lease, blocked inside its run") {
            try runningRun(of: "partitions", byNodePrefix: "a@test:1", on: connection) && blocker.hasWaiter()
        }

        let skipped = try await SluiceBinary.run(
            ["jobs", "run", "partitions", "--database-url", url], environment: window)
        #expect(skipped.status == 0, "\(skipped.output)")
        let line = try #require(skipped.output.split(separator: "\n").first { $0.hasPrefix("partitions: skipped:") })
        #expect(line.hasPrefix("partitions: skipped: held by a@test:1 until 20"), "\(line)")
        let recorded = try #require(try RecordedRun.all("partitions", on: connection).first { $0.status == "skipped" })
        #expect(recorded.node.hasPrefix("jobs-run@") && recorded.summary?.hasPrefix("held by a@test:1 until") == true)
        #expect(recorded.token == nil && recorded.finishedAt == recorded.startedAt)

        // With --wait it waits for the lease and then runs.
        let patient = try SluiceBinary.start(
            ["jobs", "run", "partitions", "--wait", "10m", "--database-url", url], environment: window
        )
        await scheduler.beginStop()  // no new run starts; the one in flight ends once the table lock is free
        try blocker.release()
        try await scheduler.stopped()
        #expect(try await patient.finished() == 0, "\(patient.log)")
        #expect(patient.log.contains("partitions: created 0, 4 already present"), "\(patient.log)")
        // The scheduler's run, the skipped one, then the waiting one (the scheduler may have started one more
        // run before its stop took effect; it never overlaps).
        let runs = try RecordedRun.all("partitions", on: connection)
        try #require(runs.count >= 3, "\(runs.map(\.status))")
        #expect(runs[0].node == "a@test:1" && runs[0].status == "succeeded")
        #expect(runs[1].node.hasPrefix("jobs-run@") && runs[1].status == "skipped")
        #expect(runs.dropFirst(2).allSatisfy { $0.status == "succeeded" }, "\(runs.map(\.status))")
        #expect(runs.dropFirst(2).filter { $0.node.hasPrefix("jobs-run@") }.count == 1)
        expectDisjoint(runs)
    }

    @Test func aKilledHoldersLeaseIsTakenOverAfterItsTimeout() async throws {
        let url = try migratedDatabase("kill")
        let connection = try PostgresConnection(url)
        let blocker = try EventsTableBlocker(url)
        let doomed = try await startBlockedCronRun(url, blocker: blocker, leaseTimeout: "2s")
        doomed.signal(SIGKILL)
        #expect(try await doomed.finished() == 128 + SIGKILL)
        // Nobody renews the lease any more: its expiry now is final.
        let lapse = try #require(
            try connection.query(
                "SELECT (extract(epoch FROM expires_at) * 1000000)::bigint, token FROM sluice.job_leases "
                    + "WHERE job = 'partitions'"
            ).rows.first
        )
        try blocker.release()

        let heir = RunningScheduler(url, holder: "heir@test:1", entries: [try partitionsEntry()])
        try await waitUntil("the heir running the job") {
            try RecordedRun.all("partitions", on: connection).contains {
                $0.node == "heir@test:1" && $0.status == "succeeded"
            }
        }
        try await heir.stop()
        let runs = try RecordedRun.all("partitions", on: connection)
        let dead = runs[0]
        #expect(dead.status == "failed")
        #expect(dead.error?.hasPrefix("abandoned: jobs-run@") == true, "\(dead.error ?? "nil")")
        let taken = try #require(runs.first { $0.node == "heir@test:1" })
        #expect(taken.startedAt >= Int64(lapse[0]!)!, "the heir took the lease before the dead holder's lapsed")
        #expect(taken.token == Int(lapse[1]!)! + 1)
        #expect(
            taken.summary?.hasPrefix("created 4") == true, "the dead run committed nothing: \(taken.summary ?? "nil")")
    }

    @Test func jobsStatusPrintsTheLastRunsAsATableAndAsJSONLines() async throws {
        let url = try migratedDatabase("status")
        let connection = try PostgresConnection(url)
        let first = try await SluiceBinary.run(["jobs", "run", "all", "--database-url", url], environment: window)
        #expect(first.status == 0, "\(first.output)")
        let scheduler = RunningScheduler(
            url, holder: "a@test:1", entries: [Scheduler.Entry(FlakyJob(failures: [.thrown]), interval: .seconds(60))]
        )
        try await waitUntil("the flaky job's failed run") {
            try RecordedRun.all("flaky", on: connection).contains { $0.status == "failed" }
        }
        try await scheduler.stop()
        _ = try await SluiceBinary.run(["jobs", "run", "partitions", "--database-url", url], environment: window)

        let json = try await SluiceBinary.run(["jobs", "status", "--json", "--database-url", url])
        #expect(json.status == 0, "\(json.output)")
        let objects = try json.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        // The same runs as the table holds, newest first per job, jobs by name.
        var expected: [RecordedRun] = []
        for job in ["assignments", "flaky", "partitions", "retention", "rollups", "sessions"] {
            expected += try RecordedRun.all(job, on: connection).reversed()
        }
        #expect(objects.count == expected.count)
        for (object, run) in zip(objects, expected) {
            #expect(object["node"] as? String == run.node)
            #expect(object["status"] as? String == run.status)
            #expect(object["rowsTouched"] as? Int == run.rowsTouched)
            #expect(object["error"] as? String == run.error)
            #expect(object["summary"] as? String == run.summary)
            let started = try #require(object["startedAt"] as? String)
            #expect(started == Timestamp(unixMicroseconds: run.startedAt).iso8601(fractionDigits: 3))
            #expect((object["finishedAt"] as? String) != nil)
        }
        #expect(
            objects.map { $0["job"] as? String }
                == ["assignments", "flaky", "partitions", "partitions", "retention", "rollups", "sessions"]
        )
        let flakyRun = objects.first { $0["job"] as? String == "flaky" }
        #expect(flakyRun?["error"] as? String == "injected failure: the job threw")

        let table = try await SluiceBinary.run(["jobs", "status", "--last", "1", "--database-url", url])
        #expect(table.status == 0, "\(table.output)")
        let lines = table.output.split(separator: "\n")
        #expect(lines.count == 7, "\(table.output)")
        #expect(lines.first?.hasPrefix("JOB ") == true && lines.first?.contains("ROWS") == true)
        let flaky = lines.first { $0.hasPrefix("flaky ") }.map {
            $0.split(separator: " ", omittingEmptySubsequences: true)
        }
        #expect(flaky?[1] == "a@test:1" && flaky?[4] == "failed")
        #expect(
            lines.contains { $0.hasPrefix("partitions ") && $0.contains(" succeeded ") && $0.contains("created 0") })
        #expect(lines.contains { $0.hasPrefix("assignments ") && $0.contains(" succeeded ") }, "run by jobs run all")

        let fresh = try await SluiceBinary.run(["jobs", "status", "--database-url", try migratedDatabase("nostatus")])
        #expect(fresh.output.contains("partitions") && fresh.output.contains("never"), "\(fresh.output)")
        let none = try await SluiceBinary.run([
            "jobs", "status", "--json", "--database-url", try migratedDatabase("nostatus"),
        ])
        #expect(none.status == 0 && none.output.isEmpty)
    }

    @Test func badJobNamesAndSettingsExit64WithOneLineSayingWhatIsAccepted() async throws {
        let unknown = try await SluiceBinary.run(["jobs", "run", "nosuchjob"])
        #expect(unknown.status == 64)
        #expect(
            unknown.output.contains(
                "unknown job 'nosuchjob'; the jobs are: partitions, sessions, rollups, assignments, retention, all"
            ),
            "\(unknown.output)"
        )
        #expect(try await SluiceBinary.run(["jobs", "run", "partitions", "--wait", "forever"]).status == 64)
        #expect(try await SluiceBinary.run(["jobs", "status", "--last", "0"]).status == 64)
        let badInterval = try await SluiceBinary.run(["serve", "--job-interval", "partitions=0"])
        #expect(badInterval.status == 64)
        #expect(badInterval.output.contains("'0' is not a duration"), "\(badInterval.output)")
        let unknownJob = try await SluiceBinary.run(["serve", "--job-interval", "nosuchjob=1h"])
        #expect(unknownJob.status == 64)
        #expect(
            unknownJob.output.contains(
                "unknown job 'nosuchjob'; the jobs are: partitions, sessions, rollups, assignments"
            ),
            "\(unknownJob.output)"
        )
        #expect(try await SluiceBinary.run(["serve", "--job-lease-timeout", "partitions"]).status == 64)
        for share in ["0", "101", "half"] {
            let badShare = try await SluiceBinary.run(["serve", "--jobs-busy-share", share])
            #expect(badShare.status == 64)
            #expect(
                badShare.output.contains("--jobs-busy-share must be a percent from 1 to 100, not '\(share)'"),
                "\(badShare.output)"
            )
        }
        #expect(try await SluiceBinary.run(["serve"], environment: ["SLUICE_JOBS_BUSY_SHARE": "0.5"]).status == 64)
        #expect(
            try await SluiceBinary.run(["serve"], environment: ["SLUICE_JOB_INTERVAL_PARTITIONS": "soon"]).status == 64)
        #expect(
            try await SluiceBinary.run(["serve"], environment: ["SLUICE_JOB_INTERVAL_PARTITION": "1h"]).status == 64)
        #expect(
            try await SluiceBinary.run(["jobs", "run", "partitions"], environment: ["SLUICE_BACKFILL_DAYS": "x"]).status
                == 64
        )
    }

    @Test func serveRunsTheSchedulerAndExportsItsRuns() async throws {
        let url = try migratedDatabase("serve")
        let connection = try PostgresConnection(url)
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-scheduler-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        let server = try SluiceBinary.start(
            [
                "serve", "--port", "0", "--spool-dir", spool, "--database-url", url, "--node-id", "web1",
                "--job-interval", "partitions=1",
            ],
            environment: window.merging(["SLUICE_LOG_LEVEL": "warning"]) { $1 }
        )
        let line = try await server.line(containing: "listening on http://")
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") })
        try await waitUntil("two runs of partitions by the server") {
            try RecordedRun.all("partitions", on: connection).filter {
                $0.status == "succeeded" && $0.node.hasPrefix("web1@")
            }
            .count >= 2
        }
        let (data, _) = try await URLSession.shared.data(from: URL(string: "\(address)/metrics")!)
        let metrics = String(decoding: data, as: UTF8.self)
        func value(_ series: String) -> Double? {
            metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
                Double($0.split(separator: " ")[1])
            }
        }
        #expect((value(#"sluice_job_runs_total{job="partitions",status="succeeded"}"#) ?? 0) >= 2, "\(metrics)")
        #expect(value(#"sluice_job_runs_total{job="partitions",status="failed"}"#) == 0)
        #expect((value(#"sluice_job_duration_seconds_count{job="partitions"}"#) ?? 0) >= 2)
        #expect((value(#"sluice_job_last_success_timestamp_seconds{job="partitions"}"#) ?? 0) > 1_700_000_000)
        #expect(
            try connection.query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'analytics.events'::regclass").int(
                0, 0) == 5)

        server.signal(SIGTERM)
        #expect(try await server.finished() == 0, "\(server.log)")
        #expect(
            try connection.query("SELECT holder FROM sluice.job_leases WHERE job = 'partitions'").string(0, 0) == nil)
    }
}
