import EmbeddedPostgres
import Foundation
import SluiceCore
import SluicePostgres
import SluiceStore
import SluiceHangGuard
import SluiceTestSupport
import Testing

@testable import SluiceIngest

/// `sluice serve` started while PostgreSQL is down, in this process through real HTTP: it serves from the
/// saved project keys, and once the database is back every id is stored exactly once, including ids loaded
/// before the outage (whose spool segments are long deleted) and re-sent during it, across a second restart
/// during the same outage.
@Suite(.serialized) struct OutageStartTests {
    /// A PostgreSQL cluster of the test's own, which it may stop and start.
    final class PrivateCluster {
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-outage-\(UUID().uuidString)"
        var cluster: LocalCluster

        init() throws {
            cluster = try LocalCluster.prepare(at: directory, durable: false)
            try cluster.start()
        }

        deinit {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }

        func database(_ name: String) throws -> String {
            try PostgresConnection(cluster.connectionString()).execute("CREATE DATABASE \(name)")
            return cluster.connectionString(database: name)
        }

        func stop() throws { try cluster.stop() }
        func start() throws { try cluster.start(port: cluster.port) }
    }

    private func post(_ server: RunningServer, _ ids: [String], key: String) async throws -> SpoolAnswer {
        let answer = try await HTTP.post(
            "\(server.baseURL)/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: key
        )
        return SpoolAnswer(status: answer.status, body: answer.body)
    }

    /// Posts `ids` and expects them accepted.
    private func accept(
        _ server: RunningServer, _ ids: [String], key: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let answer = try await post(server, ids, key: key)
        #expect(answer.status == 200, "\(answer.body)", sourceLocation: sourceLocation)
    }

    struct SpoolAnswer {
        let status: Int
        let body: String
    }

    private func ids(_ prefix: String, _ count: Int) -> [String] { (0..<count).map { "\(prefix)-\($0)" } }

    @Test func aRestartDuringAnOutageServesAndStoresEveryIdOnce() async throws {
        let cluster = try PrivateCluster()
        let harness = try IngestHarness(connectionString: try cluster.database("outage"))
        defer { harness.removeSpool() }
        // One spool segment per record, so the loader deletes the segments of what it loaded; and no wait at
        // shutdown for a loader that cannot reach the database.
        // Each start on a port of its own: a pooled keep-alive connection to the previous server must not be
        // taken for one to the next.
        let ports = try (0..<3).map { _ in try LocalClusterPort.free() }
        var starts = 0
        let tinySegments: (inout IngestConfiguration) -> Void = {
            $0.spoolSegmentBytes = 1
            $0.shutdownDeadline = .seconds(1)
            $0.port = ports[starts % ports.count]
            starts += 1
        }

        let before = ids("before", 60)
        let last = ids("last", 5)
        try await harness.withServer(tinySegments) { server in
            for part in stride(from: 0, to: before.count, by: 20) {
                let answer = try await post(server, Array(before[part..<part + 20]), key: harness.writeKey)
                #expect(answer.status == 200)
                try await server.waitUntilLoaded()
            }
            try await accept(server, last, key: harness.writeKey)
            try await server.waitUntilLoaded()
        }
        let saved = try #require(try ProjectKeyCache.load(from: harness.spoolDirectory))
        #expect(saved.projects == [harness.writeKey: harness.projectID])
        #expect(saved.target == (try PostgresConnection.target(of: harness.connectionString)))

        try cluster.stop()

        let during = ids("during", 40)
        try await harness.withServer(tinySegments) { server in
            let report = server.server.startReport
            #expect(!report.databaseReachable)
            #expect(report.checkpoint == nil)
            // Only the last record's segment is left: the ids sent first are not in the spool any more.
            #expect(report.dedupeFromSpool == last.count)
            #expect(!server.server.committer.windowComplete)
            try await accept(server, during, key: harness.writeKey)
            // Loaded before the outage: unknown to this window, accepted, to be dropped at load.
            try await accept(server, Array(before[0..<30]), key: harness.writeKey)
            // In the spool: known.
            try await accept(server, last, key: harness.writeKey)
            try await accept(server, Array(during[0..<10]), key: harness.writeKey)
            let unknown = try await HTTP.post(
                "\(server.baseURL)/v1/batch", json: Events.batch([Events.track("x")]), writeKey: "wk_unknown"
            )
            #expect(unknown.status == 401)
        }

        // A second restart during the same outage: the spool now holds the first outage start's records too.
        let again = ids("again", 10)
        try await harness.withServer(tinySegments) { server in
            #expect(!server.server.startReport.databaseReachable)
            #expect(server.server.startReport.dedupeFromSpool == last.count + during.count + 30)
            try await accept(server, again, key: harness.writeKey)
            try await accept(server, Array(before[20..<60]), key: harness.writeKey)
            try await accept(server, Array(during[5..<25]), key: harness.writeKey)

            try cluster.start()
            try await HangGuard.wait(for: "the dedupe window to complete") { server.server.committer.windowComplete }
            // After the database returned: checked against the complete window at once.
            try await accept(server, Array(before[50..<60]) + ["after-0"], key: harness.writeKey)
            try await server.waitUntilLoaded()
        }

        let counts = try harness.messageCounts()
        let expected = Set(before + last + during + again + ["after-0"])
        #expect(Set(counts.keys) == expected, "missing: \(expected.subtracting(counts.keys).sorted().prefix(5))")
        let twice = counts.filter { $0.value != 1 }
        #expect(twice.isEmpty, "stored more than once: \(twice.keys.sorted().prefix(5))")
        #expect(try harness.connection().query("SELECT count(*) FROM sluice.dead_letters").int(0, 0) == 0)
    }

    @Test func withoutSavedKeysAndWithoutTheDatabaseItRefusesToStart() throws {
        let cluster = try PrivateCluster()
        let url = try cluster.database("neverseen")
        try cluster.stop()
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        var configuration = IngestConfiguration(connectionString: url)
        configuration.spoolDirectory = spool
        do {
            _ = try IngestServer(configuration: configuration, secret: Array(repeating: 1, count: 32), logger: .init(label: "t"))
            Issue.record("started without the database and without saved keys")
        } catch let error as IngestError {
            #expect(error.code == .databaseUnavailable)
            #expect(error.message.contains("holds no project keys"), "\(error.message)")
            #expect(!error.message.contains("\n"))
        }
    }

    @Test func keysSavedFromAnotherDatabaseAreNotUsed() throws {
        let cluster = try PrivateCluster()
        let first = try IngestHarness(connectionString: try cluster.database("first"))
        defer { first.removeSpool() }
        // Saved from the first database…
        let directory = ProjectDirectory(
            connectionString: first.connectionString, cacheDirectory: first.spoolDirectory, logger: .init(label: "t")
        )
        try FileManager.default.createDirectory(atPath: first.spoolDirectory, withIntermediateDirectories: true)
        try directory.load()
        let other = try cluster.database("second")
        try cluster.stop()
        // …then the server is pointed at another one while both are down.
        let elsewhere = ProjectDirectory(
            connectionString: other, cacheDirectory: first.spoolDirectory, logger: .init(label: "t")
        )
        #expect {
            _ = try elsewhere.loadSaved()
        } throws: { error in
            (error as? IngestError)?.message.contains("saved from another database") == true
        }
        // The same database named another way (a URL, other options) is the same target.
        let port = cluster.cluster.port
        let url = "postgresql://postgres@127.0.0.1:\(port)/first?connect_timeout=3&application_name=x"
        let same = ProjectDirectory(connectionString: url, cacheDirectory: first.spoolDirectory, logger: .init(label: "t"))
        #expect(try same.loadSaved().projects == [first.writeKey: first.projectID])
    }
}
