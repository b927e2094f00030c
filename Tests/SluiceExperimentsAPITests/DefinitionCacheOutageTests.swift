import EmbeddedPostgres
import Foundation
import SluiceExperiments
import SluiceHangGuard
import SluicePostgres
import Testing

/// The variant endpoint while PostgreSQL is down: a cluster of the test's own is stopped under a running server,
/// and the definitions loaded before keep being served; the results, which need the database, answer 503.
@Suite struct DefinitionCacheOutageTests {
    @Test func theLastDefinitionsAreServedWhileTheDatabaseIsDown() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-outage-\(UUID())").path
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE outage")
        let server = try ExperimentsServer(connectionString: cluster.connectionString(database: "outage"))
        let definition = try server.save(#"{"key":"k","variations":["a","b","c"],"hashVersion":2}"#)
        let users = (0..<200).map { "user-\($0)" }
        let running = cluster

        try await server.run(refresh: .milliseconds(200)) { [running] serving in
            for user in users.prefix(3) {
                #expect(try await serving.variant("k", "userId=\(user)", basic: server.writeKey).status == 200)
            }
            try running.stop()
            // Wait until a refresh has failed against the stopped server: the cache has seen the outage.
            try await HangGuard.wait(for: "a refresh failed") { serving.cache.isFailing }

            for user in users {
                let answer = try await serving.variant("k", "userId=\(user)", basic: server.writeKey)
                #expect(answer.status == 200, "\(answer.body)")
                #expect(answer.body == definition.assign(ExperimentAttributes(userId: user)).jsonText)
            }
            let unknown = try await serving.variant("other", "userId=u", basic: server.writeKey)
            #expect(unknown.status == 404, "an unknown key is answered from memory: \(unknown.body)")
            let results = try await serving.results("k", bearer: server.readKey)
            #expect(results.status == 503 && results.errorCode == "unavailable" && results.retryAfter == "1")
            #expect(serving.cache.count == 1)

            // Back up: the next refresh reads what changed meanwhile.
            var restarted = running
            try restarted.start(port: running.port)
            let stopped = try server.save(#"{"key":"k","variations":["a","b","c"],"hashVersion":2,"status":"stopped"}"#)
            try await HangGuard.wait(for: "the stop was read after the outage") {
                let answer = try await serving.variant("k", "userId=user-1", basic: server.writeKey)
                return answer.body == stopped.assign(ExperimentAttributes(userId: "user-1")).jsonText
            }
        }
    }
}
