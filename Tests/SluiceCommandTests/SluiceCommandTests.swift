import EmbeddedPostgres
import Foundation
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// The `sluice` binary as a user runs it: exit codes, one-line errors, output formats.
@Suite struct SluiceCommandTests {
    typealias Run = SluiceBinary.Run

    /// Runs the binary built beside the test bundle, with extra environment variables.
    func sluice(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        try await SluiceBinary.run(arguments, environment: environment)
    }

    @Test func anUnreachableDatabaseIsOneLineAndExitCode1() async throws {
        let port = try LocalClusterPort.free()
        let run = try await sluice(["migrate", "--database-url", "postgres://sluice@127.0.0.1:\(port)/none?connect_timeout=2"])
        #expect(run.status == 1)
        #expect(run.errorLines.count == 1)
        #expect(run.errorLines.first?.contains("could not connect") == true)
        #expect(run.errorLines.first?.contains("--database-url") == true)
    }

    @Test func badUsageExitsWith64() async throws {
        #expect(try await sluice(["jobs", "run", "no-such-job"]).status == 64)
        #expect(try await sluice(["projects", "create"]).status == 64)
        #expect(try await sluice(["bench", "copy", "--rows", "0"]).status == 64)
        #expect(try await sluice(["bench", "ingest", "--batch", "0"]).status == 64)
        #expect(try await sluice(["serve", "--ack", "sometimes"]).status == 64)
        #expect(try await sluice(["serve", "--port", "70000"]).status == 64)
        #expect(try await sluice(["serve"], environment: ["SLUICE_IP_MODE": "keep"]).status == 64)
        #expect(try await sluice(["bench", "ingest", "--url", "http://127.0.0.1:1"]).status == 64)
        #expect(
            try await sluice(["bench", "ingest", "--jobs", "--url", "http://127.0.0.1:1", "--write-key", "wk_x"]).status == 64
        )
    }

    /// A small end-to-end run through a real `sluice serve` child: the report's fields are there and
    /// consistent (speed is measured on a release build, not here).
    @Test func benchIngestReportsItsJSONLine() async throws {
        let server = try TestDatabase.cluster().connectionString()
        let run = try await sluice([
            "bench", "ingest", "--events", "3000", "--batch", "50", "--connections", "2", "--compare-rows", "300",
            "--json", "--database-url", server,
        ])
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(report["events"] as? Int == 3000)
        let eventsPerSecond = try #require(report["eventsPerSecond"] as? Double)
        let copyRowsPerSecond = try #require(report["copyRowsPerSecond"] as? Double)
        let ratio = try #require(report["ratio"] as? Double)
        #expect(eventsPerSecond > 0 && copyRowsPerSecond > 0)
        #expect(abs(ratio - eventsPerSecond / copyRowsPerSecond) < 0.01)
        let p50 = try #require(report["p50Ms"] as? Double)
        let p99 = try #require(report["p99Ms"] as? Double)
        #expect(p50 > 0 && p99 >= p50)
        #expect((report["serverPeakRssBytes"] as? Int ?? 0) > 1_000_000)
        #expect((report["singleInsertRowsPerSecond"] as? Double ?? 0) > 0)
        #expect(run.output.contains("raw COPY (psql \\copy, text)"))
    }

    /// With `--jobs` the server's scheduler runs the sessions and rollups jobs during the run, every
    /// `--jobs-interval` seconds, and the report counts those runs from `sluice.job_runs`.
    @Test func benchIngestWithJobsRunsThemDuringTheRun() async throws {
        let server = try TestDatabase.cluster().connectionString()
        let run = try await sluice([
            "bench", "ingest", "--events", "20000", "--batch", "50", "--connections", "2", "--compare-rows", "0",
            "--jobs", "--jobs-interval", "1", "--json", "--database-url", server,
        ])
        #expect(run.status == 0, "\(run.output)")
        let line = try #require(run.output.split(separator: "\n").last)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(report["jobs"] as? Bool == true)
        #expect((report["jobRuns"] as? Int ?? 0) > 0, "\(run.output)")
        #expect(report["jobsIntervalSeconds"] as? Int == 1)
        #expect(run.output.contains("jobs every 1 s"))
        // The server's default share, and the wait until every row was derived and rolled up.
        #expect(report["jobsBusySharePercent"] as? Int == 5)
        #expect((report["jobsYieldSeconds"] as? Double).map { $0 >= 0 } == true, "\(line)")
        #expect((report["jobsCatchUpSeconds"] as? Double).map { $0 >= 0 } == true, "\(line)")
        #expect(run.output.contains("caught up"), "\(run.output)")

        let refused = try await sluice(["bench", "ingest", "--jobs", "--jobs-interval", "0", "--database-url", server])
        #expect(refused.status != 0)
        #expect(refused.output.contains("--jobs-interval must be between 1 and 3600 seconds"), "\(refused.output)")
        let alone = try await sluice(["bench", "ingest", "--jobs-busy-share", "50", "--database-url", server])
        #expect(alone.status == 64)
        #expect(alone.output.contains("--jobs-busy-share goes with --jobs"), "\(alone.output)")
        let badShare = try await sluice(["bench", "ingest", "--jobs", "--jobs-busy-share", "0", "--database-url", server])
        #expect(badShare.status == 64)
        #expect(badShare.output.contains("--jobs-busy-share must be a percent from 1 to 100, not '0'"), "\(badShare.output)")
    }

    @Test func migrateProjectsAndPartitionsEndToEnd() async throws {
        let url = try TestDatabase.fresh("cli")
        let unmigrated = try await sluice(["projects", "list", "--database-url", url])
        #expect(unmigrated.status == 1)
        #expect(unmigrated.errorLines.first?.contains("run 'sluice migrate' first") == true)

        let files = try Migrator.bundled().files
        let newest = try #require(files.last?.version)
        let first = try await sluice(["migrate", "--database-url", url])
        #expect(first.status == 0)
        #expect(first.output.contains("applied \(files.count) migration(s); schema is at version \(newest)"))
        let second = try await sluice(["migrate"], environment: ["SLUICE_DATABASE_URL": url])
        #expect(second.status == 0)
        #expect(second.output.contains("schema is current (version \(newest))"))

        let created = try await sluice(["projects", "create", "Shop \"Ø\"", "--json", "--database-url", url])
        #expect(created.status == 0)
        let line = try #require(created.output.split(separator: "\n").last)
        #expect(line.hasPrefix(#"{"id":1,"name":"Shop \"Ø\"","writeKey":"wk_"#))
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        #expect(object?["name"] as? String == "Shop \"Ø\"")
        #expect((object?["readKey"] as? String)?.hasPrefix("rk_") == true)
        let listed = try await sluice(["projects", "list", "--database-url", url])
        #expect(listed.output.contains(object?["writeKey"] as? String ?? "missing"))

        let partitions = try await sluice(
            ["jobs", "run", "partitions", "--database-url", url],
            environment: ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"]
        )
        #expect(partitions.status == 0)
        #expect(partitions.output.contains("partitions: created 4"))
        let again = try await sluice(["jobs", "run", "all", "--database-url", url],
            environment: ["SLUICE_BACKFILL_DAYS": "2", "SLUICE_PREMAKE_DAYS": "1"])
        #expect(again.output.contains("partitions: created 0, 4 already present"))
    }

    @Test func aMigrationFailingHalfwayAppliesNothingOfItself() async throws {
        let url = try TestDatabase.fresh("halfway")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-sql-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "CREATE SCHEMA IF NOT EXISTS sluice; CREATE TABLE sluice.first (x int);"
            .write(toFile: directory + "/0001_first.sql", atomically: true, encoding: .utf8)
        try "CREATE TABLE sluice.second (x int); SELECT no_such_function();"
            .write(toFile: directory + "/0002_second.sql", atomically: true, encoding: .utf8)

        let run = try await sluice(["migrate", "--database-url", url], environment: ["SLUICE_SQL_DIR": directory])
        #expect(run.status == 1)
        #expect(run.errorLines.count == 1)
        #expect(run.errorLines.first?.contains("0002_second.sql failed and was rolled back") == true)
        let connection = try PostgresConnection(url)
        #expect(try connection.query("SELECT to_regclass('sluice.first') IS NOT NULL").bool(0, 0) == true)
        #expect(try connection.query("SELECT to_regclass('sluice.second') IS NULL").bool(0, 0) == true)
        #expect(try connection.query("SELECT string_agg(name, ',') FROM sluice.migrations").string(0, 0) == "0001_first.sql")
    }
}
