import EmbeddedPostgres
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SluiceHangGuard
import SluiceIngest
import SluicePostgres
import SluiceServer
import SluiceStatsAPI
import SluiceStore
import SluiceTestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// A real `sluice serve` in the test process — the one HTTP application with ingest and the Stats API — on a
/// fresh migrated database with one project, a spool in a temporary directory and a free loopback port.
final class StatsHarness: Sendable {
    let connectionString: String
    let spoolDirectory: String
    let projectID: Int64
    let writeKey: String
    let readKey: String

    /// - Parameter connectionString: a database to use (migrated here); a fresh one of the shared test
    ///   cluster when nil.
    init(label: String, connectionString: String? = nil) throws {
        self.connectionString = try connectionString ?? TestDatabase.fresh(label)
        let connection = try PostgresConnection(self.connectionString)
        try Migrator.bundled().migrate(connection)
        let created = try ProjectStore.create(name: "Stats \(label)", on: connection)
        projectID = created.project.id
        writeKey = created.project.writeKey
        readKey = created.readKey
        spoolDirectory = FileManager.default.temporaryDirectory.path + "/sluice-stats-spool-\(UUID().uuidString)"
    }

    deinit { try? FileManager.default.removeItem(atPath: spoolDirectory) }

    func connection() throws -> PostgresConnection { try PostgresConnection(connectionString) }

    /// Starts the server, runs `body` with it, then shuts it down gracefully.
    /// - Parameter compose: adds more capabilities to the application (the experiments API), after the Stats API,
    ///   whose query pool it is given.
    func withServer<T: Sendable>(
        stats change: (inout StatsAPIConfiguration) -> Void = { _ in },
        compose: (inout SluiceApplication, StatsQueryPool) -> Void = { _, _ in },
        _ body: (StatsServer) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "sluice-stats-test")
        logger.logLevel = .critical
        var configuration = IngestConfiguration(connectionString: connectionString)
        configuration.port = 0
        configuration.spoolDirectory = spoolDirectory
        configuration.shutdownDeadline = .seconds(20)
        let ingest = try IngestServer(
            configuration: configuration, secret: Array(repeating: 7, count: 32), logger: logger)
        var stats = StatsAPIConfiguration(connectionString: connectionString)
        stats.poolSize = 2
        change(&stats)
        var composition = SluiceApplication(ingest: ingest, logger: logger)
        let pool = composition.addStats(stats)
        compose(&composition, pool)
        return try await withRunningApplication(logger: logger, { composition.application(onServerRunning: $0) }) { port in
            try await body(StatsServer(harness: self, ingest: ingest, pool: pool, port: port))
        }
    }

    /// Runs `sluice jobs run NAME` (the built binary) against the database, for each job in turn.
    func runJobs(_ names: [String] = ["partitions", "sessions", "rollups"]) async throws {
        for name in names {
            let run = try await SluiceBinary.run(["jobs", "run", name, "--database-url", connectionString])
            try #require(run.status == 0, "sluice jobs run \(name) exited \(run.status): \(run.output)")
        }
    }
}

/// A server started by ``StatsHarness``.
struct StatsServer: Sendable {
    let harness: StatsHarness
    let ingest: IngestServer
    let pool: StatsQueryPool
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sends `events` (Segment JSON objects) in batches of 100 with the write key; every one must be taken.
    func send(_ events: [String]) async throws {
        for start in stride(from: 0, to: events.count, by: 100) {
            let batch = #"{"batch":[\#(events[start..<min(start + 100, events.count)].joined(separator: ","))]}"#
            let answer = try await HTTP.send(
                "POST", baseURL + "/v1/batch", body: batch, headers: ["Authorization": HTTP.basic(harness.writeKey)]
            )
            try #require(answer.status == 200 && answer.body == #"{"success":true}"#, "ingest answered \(answer)")
        }
    }

    /// Waits until every event acknowledged so far is committed in PostgreSQL.
    func waitUntilLoaded() async throws {
        let target = ingest.committer.committedEnd
        let ingest = ingest
        try await HangGuard.bounded("the loader to reach \(target) (it is at \(ingest.loader.position))") {
            ingest.loader.waitUntilLoaded(target, timeout: $0)
        }
    }

    /// `GET /v1/stats/<path>` with the read key (or `authorization` as the whole header, nil for none).
    func stats(_ path: String, authorization: String?? = .none) async throws -> HTTPAnswer {
        var headers: [String: String] = [:]
        switch authorization {
        case .none: headers["Authorization"] = "Bearer \(harness.readKey)"
        case .some(.some(let value)): headers["Authorization"] = value
        case .some(.none): break
        }
        return try await HTTP.send("GET", baseURL + "/v1/stats/" + path, headers: headers)
    }

    /// The JSON of a 200 answer to `GET /v1/stats/<path>`.
    func json(_ path: String) async throws -> Any {
        let answer = try await stats(path)
        try #require(answer.status == 200, "GET \(path) answered \(answer)")
        return try JSONSerialization.jsonObject(with: Data(answer.body.utf8))
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// An HTTP answer.
struct HTTPAnswer: Sendable, CustomStringConvertible {
    let status: Int
    let headers: [String: String]
    let body: String

    var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] }
    var description: String { "\(status) \(body)" }
}

/// Plain HTTP requests through URLSession: real TCP connections to the server.
enum HTTP {
    /// A session of these tests' own: `URLSession.shared` is shared with every suite of the process and
    /// caps the connections per host, so requests of other suites to 127.0.0.1 could hold back the stuck
    /// requests a test counts on being in flight.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        return URLSession(configuration: configuration)
    }()

    static func send(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:])
        async throws -> HTTPAnswer
    {
        var request = URLRequest(url: try #require(URL(string: url), "not a URL: \(url)"))
        request.httpMethod = method
        request.timeoutInterval = 600
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            fields[String(describing: name).lowercased()] = String(describing: value)
        }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: String(decoding: data, as: UTF8.self))
    }

    static func basic(_ writeKey: String) -> String {
        "Basic " + Data("\(writeKey):".utf8).base64EncodedString()
    }
}
