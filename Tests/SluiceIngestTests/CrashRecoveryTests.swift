import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

/// `sluice serve` as a child process, killed, signalled and starved of its database mid-load: every
/// acknowledged messageId must end up in PostgreSQL exactly once.
@Suite(.serialized) struct CrashRecoveryTests {
    struct Setup {
        let databaseURL: String
        let writeKey: String
        let spool: String
    }

    static func setup(_ label: String, databaseURL: String? = nil) throws -> Setup {
        let url = try databaseURL ?? TestDatabase.fresh(label)
        let connection = try PostgresConnection(url)
        try Migrator.bundled().migrate(connection)
        let project = try ProjectStore.create(name: label, on: connection)
        return Setup(
            databaseURL: url, writeKey: project.project.writeKey,
            spool: FileManager.default.temporaryDirectory.path + "/sluice-crash-\(UUID().uuidString)"
        )
    }

    static func serve(_ setup: Setup, extra: [String] = []) async throws -> (BackgroundProcess, String) {
        let process = try SluiceBinary.start(
            ["serve", "--port", "0", "--spool-dir", setup.spool, "--no-jobs", "--database-url", setup.databaseURL]
                + extra,
            environment: ["SLUICE_LOG_LEVEL": "warning"]
        )
        let line = try await process.waitForLine(containing: "listening on http://", timeout: HangGuard.limit)
        let address = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") })
        return (process, String(address))
    }

    /// Sends batches of fresh events from `connections` tasks until `stop` is set; returns the acknowledged ids.
    final class Traffic: Sendable {
        let acknowledged = Mutex<Set<String>>([])
        let refused = Mutex<Int>(0)
        let stop = Atomic<Bool>(false)
        let prefix = UUID().uuidString.prefix(8)

        /// Waits until at least `count` events were acknowledged.
        func waitForAcknowledged(_ count: Int) async throws {
            do {
                try await HangGuard.wait(for: "\(count) acknowledged events") {
                    acknowledged.withLock { $0.count } >= count
                }
            } catch let hung as Hung {
                throw Hung("\(hung.event) (\(refused.withLock { $0 }) requests refused meanwhile)")
            }
        }

        func run(url: String, writeKey: String, connections: Int = 4, batch: Int = 50) async {
            await withTaskGroup(of: Void.self) { group in
                for connection in 0..<connections {
                    group.addTask { [self] in
                        var sequence = 0
                        while !stop.load(ordering: .relaxed) {
                            let ids = (0..<batch).map { "\(prefix)-\(connection)-\(sequence)-\($0)" }
                            sequence += 1
                            let body = Events.batch(ids.map { Events.track($0) })
                            let answer = try? await HTTP.post("\(url)/v1/batch", json: body, writeKey: writeKey)
                            if answer?.status == 200 {
                                acknowledged.withLock { $0.formUnion(ids) }
                            } else {
                                refused.withLock { $0 += 1 }
                                try? await Task.sleep(for: .milliseconds(20))  // allow-timing: a client's backoff
                            }
                        }
                    }
                }
            }
        }
    }

    /// Checks that every id is stored exactly once; first waits until as many ids are stored, unless `loaded`
    /// says that loading is over already (a server that exited after draining).
    static func expectExactlyOnce(_ ids: Set<String>, databaseURL: String, loaded: Bool = false) throws {
        let connection = try PostgresConnection(databaseURL)
        if !loaded {
            try HangGuard.wait(for: "\(ids.count) distinct acknowledged events stored") {
                try storedCount(connection) >= ids.count
            }
        }
        let result = try connection.query("SELECT message_id, count(*) FROM analytics.events GROUP BY message_id")
        var counts: [String: Int] = [:]
        for row in 0..<result.rowCount { counts[result.string(row, 0)!] = try result.int(row, 1) }
        let missing = ids.filter { counts[$0] == nil }
        let twice = counts.filter { $0.value > 1 }
        #expect(missing.isEmpty, "\(missing.count) of \(ids.count) acknowledged events missing")
        #expect(twice.isEmpty, "\(twice.count) events stored more than once")
    }

    /// The distinct messageIds in `analytics.events`.
    static func storedCount(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(DISTINCT message_id) FROM analytics.events").int(0, 0) ?? 0
    }

    @Test func killNineMidLoadThenRestartLosesAndDuplicatesNothing() async throws {
        let setup = try Self.setup("kill9")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (first, url) = try await Self.serve(setup)
        let traffic = Traffic()
        let sending = Task { await traffic.run(url: url, writeKey: setup.writeKey) }
        try await traffic.waitForAcknowledged(2_000)
        first.signal(SIGKILL)
        try await first.wait(timeout: HangGuard.limit)
        traffic.stop.store(true, ordering: .relaxed)
        await sending.value
        let acknowledged = traffic.acknowledged.withLock { $0 }

        // Re-send part of what was acknowledged: the restarted server must recognise it.
        let (second, secondURL) = try await Self.serve(setup)
        let resend = Array(acknowledged.prefix(100))
        let answer = try await HTTP.post(
            "\(secondURL)/v1/batch", json: Events.batch(resend.map { Events.track($0) }), writeKey: setup.writeKey
        )
        #expect(answer.status == 200)
        try Self.expectExactlyOnce(acknowledged, databaseURL: setup.databaseURL)
        second.signal(SIGTERM)
        await #expect(try second.wait(timeout: HangGuard.limit) == 0)
    }

    @Test func sigtermMidLoadDrainsEverythingAndExitsZero() async throws {
        let setup = try Self.setup("sigterm")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (server, url) = try await Self.serve(setup)
        let traffic = Traffic()
        let sending = Task { await traffic.run(url: url, writeKey: setup.writeKey) }
        try await traffic.waitForAcknowledged(2_000)
        server.signal(SIGTERM)
        await #expect(try server.wait(timeout: HangGuard.limit) == 0, "\(server.log)")
        traffic.stop.store(true, ordering: .relaxed)
        await sending.value
        let acknowledged = traffic.acknowledged.withLock { $0 }
        // Drained before exit: everything is there at once, with no server left to load anything.
        try Self.expectExactlyOnce(acknowledged, databaseURL: setup.databaseURL, loaded: true)
    }

    @Test func postgresStoppedAndRestartedMidLoad() async throws {
        // A cluster of its own, so stopping it disturbs no other test.
        let directory = FileManager.default.temporaryDirectory.path + "/sluice-outage-\(UUID().uuidString)"
        var cluster = try LocalCluster.prepare(at: directory, durable: false)
        try cluster.start()
        defer {
            try? cluster.stop(immediate: true)
            try? FileManager.default.removeItem(atPath: directory)
        }
        let admin = try PostgresConnection(cluster.connectionString())
        try admin.execute("CREATE DATABASE outage")
        let setup = try Self.setup("outage", databaseURL: cluster.connectionString(database: "outage"))
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (server, url) = try await Self.serve(setup)
        let traffic = Traffic()
        let sending = Task { await traffic.run(url: url, writeKey: setup.writeKey) }
        try await traffic.waitForAcknowledged(1_000)

        try cluster.stop()
        let acknowledgedBefore = traffic.acknowledged.withLock { $0.count }
        // The spool absorbs the load: requests are still acknowledged, and the server stays ready (a balancer
        // must not drop every node during an outage) while its body reports the outage.
        try await traffic.waitForAcknowledged(acknowledgedBefore + 1_000)
        var ready = try await HTTP.get("\(url)/readyz")
        try await HangGuard.wait(for: "/readyz to report the outage") {
            ready = try await HTTP.get("\(url)/readyz")
            return ready.body.contains(#""database":"unavailable""#)
        }
        #expect(ready.status == 200)
        #expect(ready.body.contains(#""ready":true"#))

        try cluster.start(port: cluster.port)
        // Traffic goes on while the loader reconnects: stop it once the loader is loading again.
        let check = try PostgresConnection(setup.databaseURL)
        let storedAtRestart = try Self.storedCount(check)
        try await HangGuard.wait(for: "the loader to load again after the restart") {
            try Self.storedCount(check) > storedAtRestart
        }
        traffic.stop.store(true, ordering: .relaxed)
        await sending.value
        let acknowledged = traffic.acknowledged.withLock { $0 }
        try Self.expectExactlyOnce(acknowledged, databaseURL: setup.databaseURL)
        server.signal(SIGTERM)
        await #expect(try server.wait(timeout: HangGuard.limit) == 0)
    }

    @Test func aCorruptSpoolTailIsCutAndReported() async throws {
        let setup = try Self.setup("torn")
        defer { try? FileManager.default.removeItem(atPath: setup.spool) }
        let (first, url) = try await Self.serve(setup)
        let ids = (0..<20).map { "torn-\($0)" }
        let answer = try await HTTP.post(url + "/v1/batch", json: Events.batch(ids.map { Events.track($0) }), writeKey: setup.writeKey)
        #expect(answer.status == 200)
        first.signal(SIGKILL)
        try await first.wait(timeout: HangGuard.limit)

        // A torn record at the end of the last segment, as a crash mid-write leaves it: a header claiming a
        // 65,535-byte frame, then 3 of those bytes.
        let segments = try FileManager.default.contentsOfDirectory(atPath: setup.spool).filter { $0.hasSuffix(".seg") }.sorted()
        let last = try #require(segments.last, "no segment in \(setup.spool)")
        let handle = try #require(FileHandle(forWritingAtPath: setup.spool + "/" + last))
        let intactBytes = handle.seekToEndOfFile()
        let torn: [UInt8] = [0x53, 0x4c, 0x53, 0x50, 1, 0, 0, 0, 0xff, 0xff, 0, 0, 9, 9, 9]
        handle.write(Data(torn))
        try handle.close()

        let (second, _) = try await Self.serve(setup)
        let report = try await second.waitForLine(containing: "torn record", timeout: HangGuard.limit)
        // Exactly the bytes written after the last intact record are cut, and the rest is kept.
        #expect(report.contains("cutBytes=\(torn.count)"), "\(report)")
        #expect(report.contains("keptBytes=\(intactBytes)"), "\(report)")
        #expect(report.contains("segment=\(UInt64(last.dropLast(4))!)"), "\(report)")
        try Self.expectExactlyOnce(Set(ids), databaseURL: setup.databaseURL)
        second.signal(SIGTERM)
        await #expect(try second.wait(timeout: HangGuard.limit) == 0)
    }
}
