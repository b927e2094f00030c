import EmbeddedPostgres
import Foundation
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import SluiceStore
import Testing

/// `GET /v1/experiments` over real HTTP: the read key's project's experiments and no other project's, refused
/// without a read key, 503 while the database is down.
@Suite struct ExperimentListEndpointTests {
    @Test func listsTheReadKeysProjectsExperimentsByKey() async throws {
        let server = try ExperimentsServer(label: "list")
        try server.save(#"{"key":"pricing-page","variations":["a","b","c"],"name":"Pricing","status":"draft"}"#)
        try server.save(#"{"key":"checkout","variations":["control","treatment"],"goalEvent":"Order Completed"}"#)
        try server.save(
            #"{"key":"checkout","variations":["control","treatment","bold"],"goalEvent":"Order Completed"}"#,
            force: true)
        let connection = try PostgresConnection(server.connectionString)
        let other = try ProjectStore.create(name: "Another", on: connection)
        _ = try ExperimentStore.save(
            try ExperimentDefinition(jsonText: #"{"key":"elsewhere","variations":[1,2]}"#), projectID: other.project.id,
            force: false, on: connection
        )
        let version = try #require(
            try ExperimentStore.list(projectID: server.projectID, on: connection).first {
                $0.definition.key == "checkout"
            }
        ).version

        try await server.run { running in
            let answer = try await running.get(
                "/v1/experiments", headers: ["Authorization": "Bearer \(server.readKey)"])
            #expect(answer.status == 200, "\(answer.body)")
            #expect(
                answer.body
                    == #"{"experiments":[{"key":"checkout","name":null,"status":"running","version":\#(version),"#
                    + #""goalEvent":"Order Completed","variations":3},"#
                    + #"{"key":"pricing-page","name":"Pricing","status":"draft","version":1,"goalEvent":null,"#
                    + #""variations":3}]}"#
            )
            let theirs = try await running.get("/v1/experiments", headers: ["Authorization": "Bearer \(other.readKey)"])
            #expect(theirs.status == 200)
            #expect(theirs.body.contains(#""key":"elsewhere""#) && !theirs.body.contains("checkout"))

            for headers in [
                [:], ["Authorization": "Bearer \(server.writeKey)"], ["Authorization": "Bearer rk_unknown"],
                ["Authorization": "Basic \(Data("\(server.readKey):".utf8).base64EncodedString())"],
            ] {
                let refused = try await running.get("/v1/experiments", headers: headers)
                #expect(refused.status == 401 && refused.errorCode == "unauthorized", "\(headers): \(refused.body)")
            }
        }
    }

    @Test func answers503WhileTheDatabaseIsDown() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-list-\(UUID())").path
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE listing")
        let server = try ExperimentsServer(connectionString: cluster.connectionString(database: "listing"))
        try server.save(#"{"key":"k","variations":["a","b"]}"#)
        let running = cluster
        try await server.run { [running] serving in
            let before = try await serving.get(
                "/v1/experiments", headers: ["Authorization": "Bearer \(server.readKey)"])
            #expect(before.status == 200, "\(before.body)")
            try running.stop()
            let answer = try await serving.get(
                "/v1/experiments", headers: ["Authorization": "Bearer \(server.readKey)"])
            #expect(
                answer.status == 503 && answer.errorCode == "unavailable" && answer.retryAfter == "1", "\(answer.body)")
        }
    }
}
