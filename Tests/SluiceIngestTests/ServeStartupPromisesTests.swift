import CompressNIO
import EmbeddedPostgres
import Foundation
import NIOCore
import SluiceHangGuard
import SluicePostgres
import SluiceStore
import SluiceTestSupport
import Testing

/// What `sluice serve` promises at start-up and of its settings: it refuses a damaged spool and an old schema
/// with one clear line, `--max-inflation-ratio` works on its own, the IP secret's sources and length, and an
/// option wins over its environment variable.
@Suite(.serialized) struct ServeStartupPromisesTests {
    /// `sluice serve` with `arguments` that is expected to refuse to start: its exit status and log.
    static func refusal(_ arguments: [String], environment: [String: String] = [:]) async throws -> SluiceBinary.Run {
        try await SluiceBinary.run(["serve", "--port", "0", "--no-jobs"] + arguments, environment: environment)
    }

    @Test func serveRefusesDamageInsideSyncedSpoolData() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("damagedspool") }
        defer { setup.removeSpool() }
        let first = try await ChildServer.start(setup)
        try await first.waitUntilReady()
        let lock = try EventsTableLock(setup.databaseURL)
        // Two requests, one after the other: two records, each fsync'd before its answer.
        #expect(try await first.post((0..<20).map { "first-\($0)" }).status == 200)
        #expect(try await first.post((0..<20).map { "second-\($0)" }).status == 200)
        try await HangGuard.wait(for: "the loader to wait for the table lock") { try lock.hasWaiter() }
        try await first.kill()
        try lock.release()

        // One byte flipped a quarter into the segment: inside the first record, with the second intact behind it.
        let segments = try FileManager.default.contentsOfDirectory(atPath: setup.spool).filter { $0.hasSuffix(".seg") }
        let segment = setup.spool + "/" + (try #require(segments.sorted().last, "no segment in \(setup.spool)"))
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: segment)))
        try #require(bytes.count > 200)
        bytes[bytes.count / 4] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: segment))

        let refused = try await Self.refusal(
            ["--spool-dir", setup.spool, "--database-url", setup.databaseURL], environment: ["SLUICE_LOG_LEVEL": "warning"]
        )
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.errorLines.count == 1, "\(refused.output)")
        #expect(refused.errorLines.first?.contains("damaged record followed by 1 intact one(s)") == true, "\(refused.output)")
        // Nothing was cut: the operator decides.
        #expect(try Data(contentsOf: URL(fileURLWithPath: segment)).count == bytes.count)
        #expect(try ServerPromisesTests.storedCounts(setup.databaseURL).isEmpty)
    }

    @Test func serveRefusesAnUnmigratedOrOlderSchema() async throws {
        let newest = try #require(try Migrator.bundled().files.last?.version)
        let (unmigrated, behind, previous) = try await offThePool { () throws -> (String, String, Int) in
            let unmigrated = try TestDatabase.fresh("unmigrated")
            let behind = try TestDatabase.fresh("behind")
            let files = try Migrator.bundled().files
            let report = try Migrator(files: Array(files.dropLast())).migrate(PostgresConnection(behind))
            return (unmigrated, behind, report.version)
        }
        let spool = FileManager.default.temporaryDirectory.path + "/sluice-schema-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        for (url, version) in [(unmigrated, 0), (behind, previous)] {
            let refused = try await Self.refusal(["--spool-dir", spool, "--database-url", url])
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.errorLines.count == 1, "\(refused.output)")
            #expect(
                refused.errorLines.first?.contains(
                    "the database schema is at version \(version) but this sluice needs \(newest); run 'sluice migrate' first"
                ) == true,
                "\(refused.output)"
            )
        }
        #expect(previous < newest)
    }

    /// A gzip body under `--max-request-bytes` once inflated is refused by the ratio alone: the same body is
    /// accepted by a server whose ratio allows it.
    @Test func theInflationRatioAloneRefusesABombUnderTheSizeCap() async throws {
        let harness = try await offThePool { try IngestHarness(label: "ratio") }
        defer { harness.removeSpool() }
        let json = Events.batch([Events.track("ratio-1")]) + String(repeating: " ", count: 100_000)
        var plain = ByteBuffer(string: json)
        let compressed = try plain.compress(with: .gzip())
        let ratio = json.utf8.count / compressed.readableBytes
        // Well under the default 512,000-byte cap, and a ratio far above 4.
        #expect(json.utf8.count < 512_000 / 4)
        try #require(ratio > 8, "gzip inflates \(ratio)x")
        let body = Array(compressed.readableBytesView)
        func post(_ server: RunningServer) async throws -> HTTPAnswer {
            try await HTTP.post(
                "\(server.baseURL)/v1/batch", body: body, headers: ["Content-Encoding": "gzip"], writeKey: harness.writeKey
            )
        }
        try await harness.withServer({ $0.maxInflationRatio = ratio / 4 }) { server in
            let refused = try await post(server)
            #expect(refused.status == 413, "\(refused.body)")
            #expect((refused.json?["error"] as? [String: Any])?["code"] as? String == "payload_too_large")
        }
        try await harness.withServer({ $0.maxInflationRatio = ratio * 4 }) { server in
            let accepted = try await post(server)
            #expect(accepted.status == 200, "\(accepted.body)")
            try await server.waitUntilLoaded()
        }
        #expect(try harness.messageCounts() == ["ratio-1": 1])
    }

    /// The address stored for an event sent with `context.ip` 203.0.113.9 by a `--ip-mode hash` server on
    /// `setup` with `environment` (its node id named after its spool, as servers sharing a database need).
    static func hashedAddress(_ setup: CrashRecoveryTests.Setup, environment: [String: String]) async throws -> String {
        let node = URL(fileURLWithPath: setup.spool).lastPathComponent
        let server = try await ChildServer.start(setup, ["--ip-mode", "hash", "--node-id", node], environment: environment)
        let id = "ip-\(UUID().uuidString)"
        #expect(try await server.post([id], extra: #","context":{"ip":"203.0.113.9"}"#).status == 200)
        try await HangGuard.wait(for: "event \(id) stored") {
            try ServerPromisesTests.storedCounts(setup.databaseURL)[id] == 1
        }
        #expect(try await server.stop() == 0)
        let stored = try PostgresConnection(setup.databaseURL).query(
            "SELECT host(ip) FROM analytics.events WHERE message_id = $1", [id]
        )
        let address = try #require(stored.string(0, 0))
        #expect(address != "203.0.113.9")
        return address
    }

    @Test func theIPSecretComesFromTheEnvironmentWithItsDocumentedLength() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("ipsecret") }
        defer { setup.removeSpool() }
        let secret = String(repeating: "0123456789abcdef", count: 4)
        let other = String(repeating: "fedcba9876543210", count: 4)
        let hashed = try await Self.hashedAddress(setup, environment: ["SLUICE_IP_SECRET": secret])
        // The variable is the secret: no file is created, and another spool with it hashes alike.
        #expect(!FileManager.default.fileExists(atPath: setup.spool + "/ip-secret"))
        let elsewhere = setup.withOwnSpool()
        defer { elsewhere.removeSpool() }
        #expect(try await Self.hashedAddress(elsewhere, environment: ["SLUICE_IP_SECRET": secret]) == hashed)
        #expect(try await Self.hashedAddress(elsewhere, environment: ["SLUICE_IP_SECRET": other]) != hashed)

        // 64 hexadecimal digits, no more and no fewer.
        for wrong in [String(secret.prefix(40)), secret + "00", String(secret.dropLast(2)) + "zz"] {
            let refused = try await Self.refusal(
                ["--spool-dir", setup.spool, "--database-url", setup.databaseURL, "--ip-mode", "hash"],
                environment: ["SLUICE_IP_SECRET": wrong]
            )
            #expect(refused.status == 1, "\(refused.output)")
            #expect(refused.errorLines.count == 1, "\(refused.output)")
            #expect(
                refused.errorLines.first?.contains("SLUICE_IP_SECRET must be 64 hexadecimal digits") == true,
                "\(refused.output)"
            )
        }
    }

    @Test func theIPSecretFileIsCreatedPrivateKeptAndItsLengthChecked() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("ipsecretfile") }
        defer { setup.removeSpool() }
        let path = setup.spool + "/ip-secret"
        let first = try await Self.hashedAddress(setup, environment: [:])
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let mode = (attributes[.posixPermissions] as? Int) ?? (attributes[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600, "ip-secret has mode \(String(mode ?? -1, radix: 8))")
        let secret = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(secret.count == 32)
        // A restart keeps the file, and so the day's hashes.
        #expect(try await Self.hashedAddress(setup, environment: [:]) == first)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == secret)

        // A file of another length is refused, not silently replaced (which would change every hash).
        try Data(secret.prefix(20)).write(to: URL(fileURLWithPath: path))
        let refused = try await Self.refusal(
            ["--spool-dir", setup.spool, "--database-url", setup.databaseURL, "--ip-mode", "hash"]
        )
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.errorLines.count == 1, "\(refused.output)")
        #expect(refused.errorLines.first?.contains("\(path) holds 20 bytes, not 32") == true, "\(refused.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == 20)
    }

    /// The `listening on …` line of `sluice serve` started with `arguments` and `environment` (and no `--port` or
    /// `--spool-dir` of its own).
    static func listeningLine(_ setup: CrashRecoveryTests.Setup, _ arguments: [String], environment: [String: String])
        async throws -> String
    {
        let process = try SluiceBinary.start(
            ["serve", "--no-jobs", "--database-url", setup.databaseURL] + arguments, environment: environment
        )
        let line = try await process.line(containing: "listening on http://")
        process.signal(SIGTERM)
        #expect(try await process.finished() == 0)
        return line
    }

    @Test func anOptionWinsOverItsEnvironmentVariable() async throws {
        let setup = try await offThePool { try CrashRecoveryTests.setup("optionwins") }
        let optionSpool = setup.withOwnSpool()
        defer {
            setup.removeSpool()
            optionSpool.removeSpool()
        }
        let (environmentPort, optionPort) = (try LocalClusterPort.free(), try LocalClusterPort.free())
        try #require(environmentPort != optionPort)
        let environment = [
            "SLUICE_PORT": String(environmentPort), "SLUICE_ACK": "memory", "SLUICE_SPOOL_DIR": setup.spool,
        ]
        let fromEnvironment = try await Self.listeningLine(setup, [], environment: environment)
        #expect(
            fromEnvironment.contains("http://127.0.0.1:\(environmentPort) (ack memory, spool \(setup.spool))"),
            "\(fromEnvironment)"
        )
        let fromOptions = try await Self.listeningLine(
            // A spool of its own needs a node id of its own: the checkpoint of `default` belongs to the first spool.
            setup, [
                "--port", String(optionPort), "--ack", "durable", "--spool-dir", optionSpool.spool,
                "--node-id", "option-spool",
            ],
            environment: environment
        )
        #expect(
            fromOptions.contains("http://127.0.0.1:\(optionPort) (ack durable, spool \(optionSpool.spool))"),
            "\(fromOptions)"
        )
    }
}
