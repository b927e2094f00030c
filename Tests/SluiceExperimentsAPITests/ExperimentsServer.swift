import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import SluiceExperiments
import SluiceExperimentsAPI
import SluiceExperimentsStore
import SluiceIngest
import SluicePostgres
import SluiceStatsAPI
import SluiceStore
import SluiceTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The experiments routes on a real Hummingbird server on a free loopback port, over a real PostgreSQL: a
/// project with its keys, the definition cache as the server's service, write keys from the ingest side's
/// `ProjectDirectory`.
struct ExperimentsServer: Sendable {
    let connectionString: String
    let projectID: Int64
    let writeKey: String
    let readKey: String

    static let logger: Logger = {
        var logger = Logger(label: "experiments-api-test")
        logger.logLevel = .error
        return logger
    }()

    init(connectionString: String) throws {
        self.connectionString = connectionString
        let connection = try PostgresConnection(connectionString)
        try Migrator.bundled().migrate(connection)
        let created = try ProjectStore.create(name: "Experiments API", on: connection)
        projectID = created.project.id
        writeKey = created.project.writeKey
        readKey = created.readKey
    }

    init(label: String) throws {
        try self.init(connectionString: try TestDatabase.fresh(label))
    }

    /// Stores an experiment file in the project.
    @discardableResult
    func save(_ file: String, force: Bool = false) throws -> ExperimentDefinition {
        try ExperimentStore.save(
            try ExperimentDefinition(jsonText: file), projectID: projectID, force: force,
            on: try PostgresConnection(connectionString)
        ).experiment.definition
    }

    /// Runs the server with a cache refreshed every `refresh`, calls `body` with its base URL, then stops it.
    /// - Parameter statementTimeout: the query pool's, when not its default.
    func run<T: Sendable>(
        refresh: Duration = .seconds(3600), statementTimeout: Duration? = nil,
        _ body: @Sendable (Running) async throws -> T
    ) async throws -> T {
        let projects = ProjectDirectory(connectionString: connectionString, logger: Self.logger)
        try projects.load()
        let cache = ExperimentDefinitionCache(
            connectionString: connectionString, refreshInterval: refresh, logger: Self.logger
        )
        var statsConfiguration = StatsAPIConfiguration(connectionString: connectionString)
        if let statementTimeout { statsConfiguration.statementTimeout = statementTimeout }
        let pool = StatsQueryPool(configuration: statsConfiguration, logger: Self.logger)
        let controller = ExperimentsController(
            cache: cache, projectForWriteKey: { await projects.projectID(writeKey: $0) }, pool: pool,
            logger: Self.logger
        )
        let router = Router(context: BasicRequestContext.self)
        controller.addRoutes(to: router)
        return try await withRunningApplication(
            logger: Self.logger,
            { onServerRunning in
                Application(
                    router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                    services: [cache, pool], onServerRunning: onServerRunning, logger: Self.logger
                )
            }
        ) { port in
            try await body(Running(baseURL: "http://127.0.0.1:\(port)", cache: cache, server: self))
        }
    }

    struct Running: Sendable {
        let baseURL: String
        let cache: ExperimentDefinitionCache
        let server: ExperimentsServer

        /// `GET /v1/experiments/KEY/variant?QUERY` with the write key as HTTP Basic (or none).
        func variant(_ key: String, _ query: String, basic: String? = nil) async throws -> Answer {
            var headers: [String: String] = [:]
            if let basic { headers["Authorization"] = "Basic " + Data("\(basic):".utf8).base64EncodedString() }
            return try await get("/v1/experiments/\(Self.encode(key))/variant?\(query)", headers: headers)
        }

        /// `GET /v1/experiments/KEY/results` with `Authorization: Bearer KEY` (or none).
        func results(_ key: String, bearer: String?) async throws -> Answer {
            try await get(
                "/v1/experiments/\(Self.encode(key))/results",
                headers: bearer.map { ["Authorization": "Bearer \($0)"] } ?? [:]
            )
        }

        func get(_ path: String, headers: [String: String] = [:]) async throws -> Answer {
            var request = URLRequest(url: try #require(URL(string: baseURL + path)))
            for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = try #require(response as? HTTPURLResponse)
            return Answer(
                status: http.statusCode, body: String(decoding: data, as: UTF8.self),
                retryAfter: http.value(forHTTPHeaderField: "Retry-After")
            )
        }

        /// Percent-encodes everything but unreserved characters (RFC 3986), as `encodeURIComponent` does.
        static func encode(_ text: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            allowed = allowed.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
        }
    }

    struct Answer: Sendable {
        let status: Int
        let body: String
        let retryAfter: String?

        var json: JSONValue? { try? JSONValue(parsing: body) }
        var errorCode: String? {
            guard case .string(let code)? = json?["error"]?["code"] else { return nil }
            return code
        }
    }
}

struct APITestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
