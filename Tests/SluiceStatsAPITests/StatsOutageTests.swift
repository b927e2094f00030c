import EmbeddedPostgres
import Foundation
import SluiceCore
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

/// The Stats API while its database is away, and when queries outrun their limits: 503 with `Retry-After`,
/// and recovery without a restart.
@Suite struct StatsOutageTests {
    @Test func answers503WhileTheDatabaseIsStoppedAndRecovers() async throws {
        // A cluster of its own, so stopping it disturbs no other test.
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-stats-outage-\(UUID().uuidString)"
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE outage")
        let harness = try StatsHarness(label: "outage", connectionString: cluster.connectionString(database: "outage"))
        let path = "aggregate?metrics=visitors,pageviews"
        try await harness.withServer { server in
            #expect(try await server.stats(path).status == 200)

            try cluster.stop()
            for endpoint in ["aggregate", "timeseries", "breakdown?property=page", "realtime/visitors"] {
                let answer = try await server.stats(endpoint)
                #expect(answer.status == 503, "\(endpoint): \(answer)")
                #expect(Int(answer.headers["retry-after"] ?? "") ?? 0 >= 1, "\(answer.headers)")
                #expect((answer.json?["error"] as? String)?.contains("database") == true, "\(answer)")
            }
            // A key never seen before cannot be checked either: 503, not 401.
            let unknown = try await server.stats(path, authorization: .some("Bearer rk_neverseen"))
            #expect(unknown.status == 503)

            try cluster.start(port: cluster.port)
            try await HangGuard.wait(for: "the stats endpoints answer again") {
                try await server.stats(path).status == 200
            }
            for endpoint in ["timeseries", "breakdown?property=page", "realtime/visitors"] {
                let answer = try await server.stats(endpoint)
                #expect(answer.status == 200, "\(endpoint): \(answer)")
            }
        }
    }

    @Test func aQueryPastTheStatementTimeoutIs503() async throws {
        let harness = try StatsHarness(label: "timeout")
        try await harness.withServer(stats: { $0.statementTimeout = .milliseconds(300) }) { server in
            let lock = try harness.connection()
            try lock.execute("BEGIN; LOCK TABLE analytics.rollup_daily IN ACCESS EXCLUSIVE MODE")
            let answer = try await server.stats("aggregate")
            try lock.execute("ROLLBACK")
            #expect(answer.status == 503, "\(answer)")
            #expect(answer.headers["retry-after"] != nil)
            #expect((answer.json?["error"] as? String)?.contains("statement timeout") == true, "\(answer)")
            #expect(try await server.stats("aggregate").status == 200)
        }
    }
}
