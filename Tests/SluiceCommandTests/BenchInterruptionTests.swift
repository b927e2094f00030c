import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A benchmark stopped halfway by SIGINT (Ctrl-C) or SIGTERM leaves nothing behind: not its scratch database,
/// not its `sluice serve` child, not a private PostgreSQL cluster. Each test interrupts a real run at a point
/// where all of those exist, then looks for them.
///
/// One at a time, and the fault table with one client: each case runs a whole benchmark (a server, a load, a
/// cluster of its own for the fault table) beside the rest of the suite on a machine of two cores.
@Suite(.serialized) struct BenchInterruptionTests {
    /// Returns once process `pid` is gone (an orphaned child is reaped by init); throws ``Hung`` if it stays.
    static func waitUntilGone(_ pid: pid_t, _ what: String) async throws {
        try await HangGuard.wait(for: "\(what) (pid \(pid)) to exit") { kill(pid, 0) == -1 && errno == ESRCH }
    }

    /// The pid that `line` names as "(pid N)".
    static func pid(in line: String) throws -> pid_t {
        let digits = try #require(line.split(separator: "(pid ").last?.prefix { $0.isNumber })
        return try #require(pid_t(digits))
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func anInterruptedQueryBenchmarkDropsItsDatabaseAndStopsItsServer(_ signal: Int32) async throws {
        let server = try TestDatabase.cluster().connectionString()
        let bench = try SluiceBinary.start([
            "bench", "query", "--events", "10000", "--queries", "100000", "--raw-queries", "1",
            "--database-url", server,
        ])
        let started = try await bench.line(containing: "started sluice serve (pid ")
        let child = try Self.pid(in: started)
        let scratch = "sluice_bench_\(bench.pid)"
        let admin = try PostgresConnection(server)
        let exists = "SELECT count(*) FROM pg_database WHERE datname = $1"
        #expect(try admin.query(exists, [scratch]).int(0, 0) == 1, "the run's scratch database exists while it runs")

        bench.signal(signal)
        let status = try await SluiceBinary.finish(bench)
        #expect(status.status == 128 + signal, "\(status.output)")
        #expect(status.output.contains("interrupted: cleaning up"), "\(status.output)")
        #expect(try admin.query(exists, [scratch]).int(0, 0) == 0, "the scratch database was dropped")
        try await Self.waitUntilGone(child, "the sluice serve child")
    }

    @Test func anInterruptedFaultTableStopsItsClusterAndRemovesItsFiles() async throws {
        // Load long enough (10 minutes before the fault) that the run is surely still going when it is interrupted.
        let bench = try SluiceBinary.start([
            "bench", "faults", "--faults", "kill-9", "--load-seconds", "600", "--connections", "1",
        ])
        _ = try await bench.line(containing: "load, fault, recovery")
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-faults-\(bench.pid)"
        let postmaster = try String(contentsOfFile: directory + "/postgres/postmaster.pid", encoding: .utf8)
        let postgres = try #require(postmaster.split(separator: "\n").first.flatMap { pid_t($0) })
        #expect(kill(postgres, 0) == 0, "the private cluster runs")

        bench.signal(SIGINT)
        let status = try await SluiceBinary.finish(bench)
        #expect(status.status == 128 + SIGINT, "\(status.output)")
        try await Self.waitUntilGone(postgres, "the private cluster's postmaster")
        #expect(!FileManager.default.fileExists(atPath: directory), "\(directory) was removed")
    }
}
