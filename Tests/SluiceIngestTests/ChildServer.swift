import EmbeddedPostgres
import Foundation
import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The built `sluice serve` as a child process, for promises only a whole server can keep: its own `/metrics`
/// (counting this test's traffic alone), its start-up log, its exit status.
///
/// Every wait polls between `Task.sleep`s under the hang guard (`BackgroundProcess.line(containing:)`),
/// so no cooperative thread is blocked while the child works.
struct ChildServer: Sendable {
    let process: BackgroundProcess
    let port: Int
    let setup: CrashRecoveryTests.Setup

    var url: String { "http://127.0.0.1:\(port)" }

    /// Starts `sluice serve` on `setup`'s database and spool (with `--no-jobs` unless `jobs`) and waits until it
    /// listens.
    static func start(
        _ setup: CrashRecoveryTests.Setup, _ arguments: [String] = [], environment: [String: String] = [:],
        jobs: Bool = false
    ) async throws -> ChildServer {
        let process = try SluiceBinary.start(
            ["serve", "--port", "0", "--spool-dir", setup.spool, "--database-url", setup.databaseURL]
                + (jobs ? [] : ["--no-jobs"]) + arguments,
            environment: environment
        )
        let listening = try await process.line(containing: "listening on http://")
        let address = try #require(listening.split(separator: " ").first { $0.hasPrefix("http://") })
        let port = try #require(Int(address.split(separator: ":").last ?? ""))
        return ChildServer(process: process, port: port, setup: setup)
    }

    /// The first line of the server's log containing `text`, waiting for it.
    func line(containing text: String) async throws -> String {
        try await process.line(containing: text)
    }

    /// Waits until `GET /readyz` answers 200: the loader has reached PostgreSQL.
    func waitUntilReady() async throws {
        try await HangGuard.wait(for: "sluice serve to be ready") { try await HTTP.get("\(url)/readyz").status == 200 }
    }

    /// Posts a batch of track events with `ids` as their messageIds.
    func post(_ ids: [String], extra: String = "", writeKey: String? = nil) async throws -> HTTPAnswer {
        try await HTTP.post(
            "\(url)/v1/batch", json: Events.batch(ids.map { Events.track($0, extra: extra) }),
            writeKey: writeKey ?? setup.writeKey
        )
    }

    /// Every sample of the server's `/metrics`, keyed by series (`name` or `name{label="value"}`).
    func metrics() async throws -> [String: Double] {
        PrometheusText.samples(in: try await HTTP.get("\(url)/metrics").body)
    }

    /// The value of one series of `/metrics`; nil when the server does not export it.
    func metric(_ series: String) async throws -> Double? {
        try await metrics()[series]
    }

    /// SIGTERM, then the exit status.
    func stop() async throws -> Int32 {
        process.signal(SIGTERM)
        return try await process.finished()
    }

    /// SIGKILL, as a crash: returns once the process is gone.
    func kill() async throws {
        process.signal(SIGKILL)
        _ = try await process.finished()
    }
}

/// A transaction holding `ACCESS EXCLUSIVE` on `analytics.events`, so the loader's COPY (and a partitions run)
/// waits behind it until ``release()``: events stay in the spool, acknowledged and unloaded, for as long as a
/// test needs.
///
/// Not thread-safe: one test owns it.
final class EventsTableLock {
    private let connection: PostgresConnection

    init(_ databaseURL: String) throws {
        connection = try PostgresConnection(databaseURL)
        try connection.execute("BEGIN")
        try connection.execute("LOCK TABLE analytics.events IN ACCESS EXCLUSIVE MODE")
    }

    /// Whether a session of this database waits for a lock (the loader's COPY behind this one).
    func hasWaiter() throws -> Bool {
        let waiting = try connection.query(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        return try (waiting.int(0, 0) ?? 0) > 0
    }

    /// The rows in `analytics.events`, as the lock holder sees them.
    func storedRows() throws -> Int {
        try connection.query("SELECT count(*) FROM analytics.events").int(0, 0) ?? -1
    }

    func release() throws {
        try connection.execute("ROLLBACK")
    }
}

extension PrometheusText {
    /// Every sample in `text`, keyed by its series as written (`name` or `name{label="value",…}`).
    ///
    /// A sample line is the series, a space and the value (label values may contain spaces, the value does not).
    static func samples(in text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }
}

extension CrashRecoveryTests.Setup {
    /// The same database and project with a spool directory of its own (a second server).
    func withOwnSpool() -> CrashRecoveryTests.Setup {
        CrashRecoveryTests.Setup(
            databaseURL: databaseURL, writeKey: writeKey,
            spool: FileManager.default.temporaryDirectory.path + "/sluice-crash-\(UUID().uuidString)"
        )
    }

    /// Deletes the spool directory.
    func removeSpool() {
        try? FileManager.default.removeItem(atPath: spool)
    }
}
