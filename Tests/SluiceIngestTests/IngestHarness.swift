import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import SluiceCore
import SluiceHangGuard
import SluiceIngest
import SluicePostgres
import SluiceServer
import SluiceStore
import SluiceTestSupport
import Synchronization
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `sluice serve` pipeline in the test process: a fresh migrated database, a project, a spool in a
/// temporary directory, and the HTTP server on a free loopback port.
final class IngestHarness: Sendable {
    let connectionString: String
    let spoolDirectory: String
    let writeKey: String
    let projectID: Int64

    convenience init(label: String) throws {
        try self.init(connectionString: try TestDatabase.fresh(label))
    }

    /// A harness on the empty database `connectionString` (a cluster of the test's own, say).
    init(connectionString: String) throws {
        self.connectionString = connectionString
        let connection = try PostgresConnection(connectionString)
        try Migrator.bundled().migrate(connection)
        let created = try ProjectStore.create(name: "Harness", on: connection)
        writeKey = created.project.writeKey
        projectID = created.project.id
        spoolDirectory = FileManager.default.temporaryDirectory.path + "/sluice-spool-\(UUID().uuidString)"
    }

    func configuration(_ change: (inout IngestConfiguration) -> Void = { _ in }) -> IngestConfiguration {
        var configuration = IngestConfiguration(connectionString: connectionString)
        configuration.port = 0
        configuration.spoolDirectory = spoolDirectory
        // A deadline a test never reaches: a shutdown that leaves events in the spool is a hang here, not a race.
        configuration.shutdownDeadline = HangGuard.limit
        change(&configuration)
        return configuration
    }

    /// Starts a server, runs `body` with it, then shuts it down gracefully.
    func withServer<T: Sendable>(
        _ change: (inout IngestConfiguration) -> Void = { _ in },
        _ body: (RunningServer) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "sluice-test")
        logger.logLevel = .warning
        let server = try IngestServer(
            configuration: configuration(change), secret: Array(repeating: 7, count: 32), logger: logger
        )
        let application = SluiceApplication(ingest: server, logger: logger)
        return try await withRunningApplication(logger: logger, { application.application(onServerRunning: $0) }) {
            try await body(RunningServer(server: server, port: $0))
        }
    }

    func connection() throws -> PostgresConnection { try PostgresConnection(connectionString) }

    /// The number of stored rows with each messageId.
    func messageCounts() throws -> [String: Int] {
        let result = try connection().query(
            "SELECT message_id, count(*) FROM analytics.events WHERE project_id = $1 GROUP BY message_id",
            [String(projectID)]
        )
        var counts: [String: Int] = [:]
        for row in 0..<result.rowCount {
            counts[result.string(row, 0) ?? ""] = try result.int(row, 1) ?? 0
        }
        return counts
    }

    func removeSpool() {
        try? FileManager.default.removeItem(atPath: spoolDirectory)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A server started by ``IngestHarness``.
struct RunningServer: Sendable {
    let server: IngestServer
    let port: Int

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Waits until every event acknowledged so far is committed in PostgreSQL.
    ///
    /// - Throws: ``Hung`` if the loader has not got there within ``HangGuard/limit``.
    func waitUntilLoaded() async throws {
        let target = server.committer.committedEnd
        let server = server
        try await HangGuard.bounded("the loader to commit every acknowledged event (up to \(target))") {
            server.loader.waitUntilLoaded(target, timeout: $0)
        }
    }
}

/// An HTTP answer.
struct HTTPAnswer: Sendable {
    let status: Int
    let headers: [String: String]
    let body: String

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
    }
}

/// Plain HTTP requests through URLSession (a real TCP connection to the server).
enum HTTP {
    static func post(
        _ url: String, body: [UInt8], headers: [String: String] = [:], writeKey: String? = nil
    ) async throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let writeKey {
            let token = Data("\(writeKey):".utf8).base64EncodedString()
            request.setValue("Basic \(token)", forHTTPHeaderField: "Authorization")
        }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        return try await send(request)
    }

    static func post(_ url: String, json: String, headers: [String: String] = [:], writeKey: String? = nil)
        async throws -> HTTPAnswer
    {
        try await post(url, body: Array(json.utf8), headers: headers, writeKey: writeKey)
    }

    static func get(_ url: String) async throws -> HTTPAnswer {
        try await send(URLRequest(url: URL(string: url)!))
    }

    static func send(_ request: URLRequest) async throws -> HTTPAnswer {
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            headers[String(describing: name).lowercased()] = String(describing: value)
        }
        return HTTPAnswer(status: http.statusCode, headers: headers, body: String(decoding: data, as: UTF8.self))
    }
}

/// Segment event JSON for tests.
enum Events {
    static func track(_ messageID: String, event: String = "Signed Up", userID: String = "user-1", extra: String = "")
        -> String
    {
        #"{"type":"track","messageId":"\#(messageID)","userId":"\#(userID)","event":"\#(event)","properties":{"plan":"pro","n":1}\#(extra)}"#
    }

    static func batch(_ events: [String], extra: String = "") -> String {
        #"{"batch":[\#(events.joined(separator: ","))]\#(extra)}"#
    }
}
