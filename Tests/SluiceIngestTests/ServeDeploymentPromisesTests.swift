import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// What `docs/operations.md` promises to someone running `sluice serve`: servers sharing a database keep
/// their own checkpoints, a project created meanwhile works, overlapping partition runs, the embedded default,
/// and every metric it names, each through the built binary.
@Suite(.serialized) struct ServeDeploymentPromisesTests {
    @Test func eachNodeIDKeepsItsOwnCheckpoint() async throws {
        let nodeA = try await offThePool { try CrashRecoveryTests.setup("nodeids") }
        let nodeB = nodeA.withOwnSpool()
        defer {
            nodeA.removeSpool()
            nodeB.removeSpool()
        }
        // Node a loads more than node b ever spools: one shared checkpoint would put b's start past its own data.
        let first = try await ChildServer.start(nodeA, ["--node-id", "node-a"])
        let aIDs = (0..<30).map { "a-\($0)" }
        #expect(try await first.post(aIDs).status == 200)
        try await ServerPromisesTests.expectStoredOnce(aIDs, databaseURL: nodeA.databaseURL)
        #expect(try await first.stop() == 0)

        let second = try await ChildServer.start(nodeB, ["--node-id", "node-b"])
        let bIDs = (0..<5).map { "b-\($0)" }
        #expect(try await second.post(bIDs).status == 200)
        try await ServerPromisesTests.expectStoredOnce(aIDs + bIDs, databaseURL: nodeA.databaseURL)
        #expect(try await second.stop() == 0)

        // Node a starts again from its own checkpoint: nothing of its spool is left to load or to dedupe.
        let again = try await ChildServer.start(nodeA, ["--node-id", "node-a"])
        let rebuilt = try await again.line(containing: "dedupe window rebuilt")
        #expect(rebuilt.contains("fromSpool=0"), "\(rebuilt)")
        #expect(try await again.stop() == 0)
        let checkpoints = try PostgresConnection(nodeA.databaseURL).query(
            "SELECT node_id, rows_loaded::text FROM sluice.spool_checkpoints ORDER BY node_id"
        )
        #expect(checkpoints.rows == [["node-a", "30"], ["node-b", "5"]])
        try await ServerPromisesTests.expectStoredOnce(aIDs + bIDs, databaseURL: nodeA.databaseURL)
    }

    @Test func aProjectCreatedWhileTheServerRunsIsAccepted() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("laterproject") }
        defer { setup.removeSpool() }
        let server = try await ChildServer.start(setup)
        let created = try await SluiceBinary.run(["projects", "create", "Later", "--json", "--database-url", setup.databaseURL])
        #expect(created.status == 0, "\(created.output)")
        let line = try #require(created.output.split(separator: "\n").last)
        let project = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let writeKey = try #require(project["writeKey"] as? String)
        let projectID = try #require(project["id"] as? Int)

        // Write keys are reloaded at most once a second (docs: an unknown key is answered 401 from memory in
        // between), so the first answers may be 401; the key must be accepted without a restart.
        var answers: [Int] = []
        try await HangGuard.wait(for: "the new project's write key to be accepted") {
            let status = try await server.post(["later-1"], writeKey: writeKey).status
            answers.append(status)
            return status == 200
        }
        #expect(answers.dropLast().allSatisfy { $0 == 401 }, "\(answers)")
        try await HangGuard.wait(for: "the new project's event stored") {
            try ServerPromisesTests.storedCounts(setup.databaseURL)["later-1"] == 1
        }
        let stored = try PostgresConnection(setup.databaseURL).query(
            "SELECT project_id::text FROM analytics.events WHERE message_id = 'later-1'"
        )
        #expect(stored.rows == [[String(projectID)]])
        #expect(try await server.stop() == 0)
    }

    @Test func twoOverlappingPartitionRunsNeitherFailsAndThePartitionsAreRight() async throws {
        let url = try await offThePool { () throws -> String in
            let url = try TestDatabase.fresh("overlap")
            _ = try Migrator.bundled().migrate(PostgresConnection(url))
            return url
        }
        let window = ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"]
        let connection = try PostgresConnection(url)
        // The first run takes the lease, then waits inside its run for the table lock: the runs overlap for sure.
        let lock = try EventsTableLock(url)
        let first = try SluiceBinary.start(["jobs", "run", "partitions", "--database-url", url], environment: window)
        try await HangGuard.wait(for: "the first run holding the lease, blocked on the table lock") {
            let running = try connection.query(
                "SELECT count(*) FROM sluice.job_runs WHERE job = 'partitions' AND status = 'running'"
            )
            return try (running.int(0, 0) ?? 0) == 1 && lock.hasWaiter()
        }
        let second = try await SluiceBinary.run(["jobs", "run", "partitions", "--database-url", url], environment: window)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.errorLines.isEmpty, "\(second.output)")
        #expect(second.output.contains("partitions: skipped: held by jobs-run@"), "\(second.output)")
        try lock.release()
        let finished = try await SluiceBinary.finish(first)
        #expect(finished.status == 0, "\(finished.output)")
        #expect(finished.errorLines.isEmpty, "\(finished.output)")
        #expect(finished.output.contains("partitions: created 4"), "\(finished.output)")

        let partitions = try connection.query(
            """
            SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = 'analytics.events'::regclass ORDER BY 1
            """
        )
        let days = try connection.query(
            """
            SELECT 'events_p' || to_char(d, 'YYYYMMDD')
            FROM generate_series((now() AT TIME ZONE 'UTC')::date - 2, (now() AT TIME ZONE 'UTC')::date + 1,
                                 interval '1 day') AS d
            ORDER BY 1
            """
        )
        #expect(partitions.rows == [["events_default"]] + days.rows)
        let runs = try connection.query("SELECT status FROM sluice.job_runs WHERE job = 'partitions' ORDER BY id")
        #expect(runs.rows == [["succeeded"], ["skipped"]])
    }

    @Test func withoutADatabaseURLServeCreatesTheEmbeddedClusterAndLoadsAnEvent() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-embedded-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clusterDirectory = directory + "/.sluice/postgres"
        defer {
            if FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION"),
                let cluster = try? LocalCluster.prepare(at: clusterDirectory), cluster.isRunning
            {
                try? cluster.stop(immediate: true)
            }
            try? FileManager.default.removeItem(atPath: directory)
        }
        try #require(FileManager.default.isExecutableFile(atPath: SluiceBinary.path))
        let process = try BackgroundProcess(
            [
                "/usr/bin/env", "-u", "SLUICE_DATABASE_URL", "-u", "SLUICE_SPOOL_DIR", "-C", directory,
                SluiceBinary.path, "serve", "--port", "0", "--no-jobs",
            ],
            environment: ["SLUICE_LOG_LEVEL": "warning"]
        )
        let created = try await process.line(containing: "created a PostgreSQL cluster")
        #expect(created.contains("in ./.sluice/postgres"), "\(created)")
        let listening = try await process.line(containing: "listening on http://")
        let address = try #require(listening.split(separator: " ").first { $0.hasPrefix("http://") })
        #expect(listening.contains("spool .sluice/spool"), "\(listening)")
        #expect(FileManager.default.fileExists(atPath: clusterDirectory + "/PG_VERSION"))

        let cluster = try LocalCluster.prepare(at: clusterDirectory)
        let database = try PostgresConnection(cluster.connectionString(database: "sluice"))
        let project = try ProjectStore.create(name: "Embedded", on: database).project
        // The key is new to the server: it reloads write keys at most once a second (401 until then).
        try await HangGuard.wait(for: "the embedded server to accept an event") {
            let answer = try await HTTP.post(
                "\(address)/v1/batch", json: Events.batch([Events.track("embedded-1")]), writeKey: project.writeKey
            )
            #expect(answer.status == 200 || answer.status == 401, "\(answer.body)")
            return answer.status == 200
        }
        try await HangGuard.wait(for: "the event loaded into the embedded cluster") {
            try database.query("SELECT count(*) FROM analytics.events WHERE message_id = 'embedded-1'").int(0, 0) == 1
        }
        #expect(FileManager.default.fileExists(atPath: directory + "/.sluice/spool"))

        process.signal(SIGTERM)
        #expect(try await process.finished() == 0, "\(process.log)")
        // The server started the cluster, so it stopped it too.
        #expect(!cluster.isRunning)
    }

    /// The metric names in the table of `docs/operations.md` ("| `sluice_…` | type | meaning |").
    static func documentedMetrics() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `sluice_") else { return nil }
            let name = line.dropFirst(3).prefix { $0 != "`" && $0 != "{" }
            return String(name)
        }
    }

    /// The sum of the samples of metric `name` whose labels include `labels` (a histogram's `name_count` is its
    /// own metric name here); nil when there is none.
    static func value(_ name: String, _ labels: [String: String] = [:], in samples: [String: Double]) -> Double? {
        let matching = samples.filter { series, _ in
            let metric = series.prefix { $0 != "{" }
            return metric == name && labels.allSatisfy { series.contains("\($0.key)=\"\($0.value)\"") }
        }
        return matching.isEmpty ? nil : matching.values.reduce(0, +)
    }

    /// After known traffic, every metric `docs/operations.md` names is on `/metrics` with the value that traffic
    /// implies, recomputed here from the requests, the spool directory and the database.
    @Test func everyDocumentedMetricHasTheValueOfKnownTraffic() async throws {
        let started = ContinuousClock.now
        let setup = try await offThePool { try CrashRecoveryTests.setup("metrics") }
        defer { setup.removeSpool() }
        let server = try await ChildServer.start(
            setup, ["--read-timeout", "1", "--idle-timeout", "3600"],  // allow-timing: a short read timeout, so the slow client below is cut soon
            environment: ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"], jobs: true
        )
        // One batch: a duplicate, and an event over --max-event-bytes rejected by index.
        let large = Events.track("m-large", extra: #","context":{"pad":"\#(String(repeating: "y", count: 33_000))"}"#)
        let body = Events.batch([Events.track("m-1"), Events.track("m-1"), Events.track("m-2"), large])
        let answer = try await HTTP.post("\(server.url)/v1/batch", json: body, writeKey: setup.writeKey)
        #expect(answer.status == 200, "\(answer.body)")
        #expect((answer.json?["rejected"] as? [[String: Any]])?.first?["index"] as? Int == 3)
        // A wrong key is refused before the body is read.
        #expect(try await server.post(["m-3"], writeKey: "wk_unknown").status == 401)
        // A client that never finishes its request head is cut off by the read timeout.
        let slow = try RawConnection(port: server.port)
        #expect(slow.send("POST /v1/batch HTTP/1.1\r\nHost: sluice\r\n"))
        try await slow.waitForClose()
        try await ServerPromisesTests.expectStoredOnce(["m-1", "m-2"], databaseURL: setup.databaseURL)
        // One request to the variant endpoint, for an experiment no project has.
        let variant = try await HTTP.get("\(server.url)/v1/experiments/no-such-test/variant?userId=u-1")
        #expect(variant.status == 401 || variant.status == 404, "\(variant.body)")
        // One Stats API request without its read key.
        let stats = try await HTTP.get("\(server.url)/v1/stats/aggregate")
        #expect(stats.status == 401, "\(stats.body)")

        let database = try PostgresConnection(setup.databaseURL)
        func lastSuccess() throws -> Double? {
            let result = try database.query(
                """
                SELECT extract(epoch FROM last_succeeded_at)::float8::text FROM sluice.job_leases
                WHERE job = 'partitions'
                """
            )
            return result.string(0, 0).flatMap(Double.init)
        }
        func spoolFileBytes() throws -> Double {
            let files = try FileManager.default.contentsOfDirectory(atPath: setup.spool).filter { $0.hasSuffix(".seg") }
            return try Double(files.reduce(0) {
                $0 + ((try FileManager.default.attributesOfItem(atPath: setup.spool + "/" + $1)[.size] as? Int) ?? 0)
            })
        }
        let job = ["job": "partitions"]
        // Gauges refreshed in the background (the spool size, the lag, the last success read from the database)
        // are awaited; everything else is exact at once.
        var samples: [String: Double] = [:]
        try await HangGuard.wait(for: "the background gauges to settle on the traffic's values") {
            samples = try await server.metrics()
            guard let success = try lastSuccess() else { return false }
            let spoolBytes = try spoolFileBytes()
            return Self.value("sluice_spool_lag_bytes", in: samples) == 0
                && Self.value("sluice_spool_bytes", in: samples) == spoolBytes
                && Self.value("sluice_job_last_success_timestamp_seconds", job, in: samples).map { abs($0 - success) < 0.01 }
                    == true
        }
        let spoolBytes = try spoolFileBytes()
        let success = try #require(try lastSuccess())
        let expected: [String: (name: String, labels: [String: String], value: Double)] = [
            "sluice_events_received_total": ("sluice_events_received_total", [:], 4),
            "sluice_events_accepted_total": ("sluice_events_accepted_total", [:], 3),
            "sluice_events_rejected_total": ("sluice_events_rejected_total", [:], 1),
            "sluice_requests_refused_total": ("sluice_requests_refused_total", ["code": "unauthorized"], 1),
            "sluice_request_bytes_total": ("sluice_request_bytes_total", [:], Double(body.utf8.count)),
            "sluice_duplicates_total": ("sluice_duplicates_total", [:], 1),
            "sluice_events_spooled_total": ("sluice_events_spooled_total", [:], 2),
            "sluice_ring_occupancy": ("sluice_ring_occupancy", [:], 0),
            "sluice_spool_bytes": ("sluice_spool_bytes", [:], spoolBytes),
            "sluice_spool_group_commits_total": ("sluice_spool_group_commits_total", [:], 1),
            "sluice_spool_fsync_seconds": ("sluice_spool_fsync_seconds_count", [:], 1),
            "sluice_dedupe_entries": ("sluice_dedupe_entries", [:], 2),
            "sluice_dedupe_evicted_early_total": ("sluice_dedupe_evicted_early_total", [:], 0),
            "sluice_ack_latency_seconds": ("sluice_ack_latency_seconds_count", [:], 1),
            "sluice_copy_rows_total": ("sluice_copy_rows_total", [:], 2),
            "sluice_copy_batches_total": ("sluice_copy_batches_total", [:], 1),
            "sluice_load_latency_seconds": ("sluice_load_latency_seconds_count", [:], 1),
            "sluice_spool_lag_bytes": ("sluice_spool_lag_bytes", [:], 0),
            "sluice_dead_letters_total": ("sluice_dead_letters_total", [:], 0),
            "sluice_job_runs_total": ("sluice_job_runs_total", ["job": "partitions", "status": "succeeded"], 1),
            "sluice_job_duration_seconds": ("sluice_job_duration_seconds_count", job, 1),
            "sluice_job_running": ("sluice_job_running", job, 0),
            "sluice_job_last_success_timestamp_seconds": ("sluice_job_last_success_timestamp_seconds", job, success),
            // Four events never saturate the loader, and the partitions job does not pause anyway.
            "sluice_job_yield_seconds_total": ("sluice_job_yield_seconds_total", job, 0),
            "sluice_connections_closed_total": ("sluice_connections_closed_total", ["reason": "read_timeout"], 1),
            // Started against a reachable database: the window holds its ids, and the loader dropped nothing.
            "sluice_dedupe_window_complete": ("sluice_dedupe_window_complete", [:], 1),
            "sluice_load_duplicates_dropped_total": ("sluice_load_duplicates_dropped_total", [:], 0),
            // A healthy disk and a spool that matches its checkpoint.
            "sluice_spool_write_failures_total": ("sluice_spool_write_failures_total", [:], 0),
            "sluice_spool_checkpoint_ahead_total": ("sluice_spool_checkpoint_ahead_total", [:], 0),
            "sluice_experiment_variant_requests_total": ("sluice_experiment_variant_requests_total", [:], 1),
            "sluice_experiment_definitions": ("sluice_experiment_definitions", [:], 0),
            "sluice_stats_requests_total": ("sluice_stats_requests_total", ["endpoint": "aggregate", "status": "401"], 1),
            "sluice_stats_request_seconds": ("sluice_stats_request_seconds_count", ["endpoint": "aggregate"], 1),
        ]
        // Values that depend on when they are read: the window's span (from its oldest id, received during this
        // test, to now), the definition cache's reloads (at start, then on an interval) and the loader's
        // utilization.
        let elapsed = (ContinuousClock.now - started).components  // allow-timing: the span under test is at most this
        let testSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18 + 1  // allow-timing: its bound
        let ranges: [String: (name: String, labels: [String: String], range: ClosedRange<Double>)] = [
            "sluice_dedupe_window_span_seconds": ("sluice_dedupe_window_span_seconds", [:], 0...testSeconds),
            "sluice_experiment_definitions_refreshes_total": (
                "sluice_experiment_definitions_refreshes_total", ["outcome": "ok"], 1...Double.infinity
            ),
            // A decaying average of the loader's busy time: one short load, then idling, leaves a fraction.
            "sluice_loader_utilization": ("sluice_loader_utilization", [:], 0...1),
        ]
        // These count what the assignments job did for one experiment, and no experiment exists here (the job's
        // one run, at start, finds none and exports nothing): ExperimentMetricsTests checks their exact values on
        // the /metrics of a server whose job has read known exposures.
        let perExperiment: Set<String> = [
            "sluice_experiment_assignments_total", "sluice_experiment_exposures_total",
            "sluice_experiment_exposure_mismatches_total",
        ]
        for (documented, check) in ranges.sorted(by: { $0.key < $1.key }) {
            let actual = Self.value(check.name, check.labels, in: samples)
            #expect(actual.map { check.range.contains($0) } == true, "\(documented): \(actual.map { "\($0)" } ?? "absent"), expected in \(check.range)")
        }
        #expect(
            Set(try Self.documentedMetrics()) == Set(expected.keys).union(ranges.keys).union(perExperiment),
            "a documented metric without a check here"
        )
        for (documented, check) in expected.sorted(by: { $0.key < $1.key }) {
            let actual: Double? = Self.value(check.name, check.labels, in: samples)
            // A time read back from PostgreSQL's microseconds through a Double: equal to the text's precision.
            let tolerance: Double = documented == "sluice_job_last_success_timestamp_seconds" ? 0.01 : 0
            let matches: Bool = actual.map { (value: Double) -> Bool in abs(value - check.value) <= tolerance } ?? false
            let shown: String = actual.map { (value: Double) -> String in "\(value)" } ?? "absent"
            #expect(matches, "\(documented): \(shown) on /metrics, expected \(check.value)")
        }
        #expect(try await server.stop() == 0)
    }
}
