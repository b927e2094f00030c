import Foundation
import Hummingbird
import Logging
import Metrics
import NIOPosix
import SluiceExperiments
import SluiceExperimentsStore
import SluiceIngest
import SluicePostgres
import SluiceStore

/// The experiments endpoints, as a route collection for any Hummingbird router:
///
/// - `GET /v1/experiments/KEY/variant?userId=…|anonymousId=…` (write key: HTTP Basic as for ingest, or
///   `writeKey=`): the user's variation, `Assignment.jsonText`, from the ``ExperimentDefinitionCache`` alone —
///   no database access per request;
/// - `GET /v1/experiments` (read key, `Authorization: Bearer`): the project's experiments, by key
///   (``list(_:)``);
/// - `GET /v1/experiments/KEY/results` (read key, `Authorization: Bearer`): the ``ExperimentReport`` of the
///   current version, counted in the database at each request.
///
/// Errors have Sluice's JSON error shape: 400 (neither id, an id over 1,000 characters, unreadable `traits`),
/// 401 (missing or unknown key), 404 (no such experiment in the key's project), 503 with `Retry-After` (the
/// results need the database and it is unreachable).
package struct ExperimentsController: Sendable {
    let cache: ExperimentDefinitionCache
    /// The project of a write key, `nil` when no project has it (the ingest side's directory).
    let projectForWriteKey: @Sendable (String) async -> Int64?
    /// Where the results are read; each results request opens its own connection on NIO's thread pool.
    let connectionString: String
    let logger: Logger

    private let variantRequests = Counter(label: "sluice_experiment_variant_requests_total")

    package init(
        cache: ExperimentDefinitionCache, projectForWriteKey: @escaping @Sendable (String) async -> Int64?,
        connectionString: String, logger: Logger
    ) {
        self.cache = cache
        self.projectForWriteKey = projectForWriteKey
        self.connectionString = connectionString
        self.logger = logger
    }

    package func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/experiments/:key/variant") { request, context in
            await answer(authenticate: "Basic") { () async throws(ExperimentsAPIError) -> String in
                try await variant(request, key: context.parameters.get("key"))
            }
        }
        router.get("/v1/experiments") { request, _ in
            await answer(authenticate: "Bearer") { () async throws(ExperimentsAPIError) -> String in
                try await list(request)
            }
        }
        router.get("/v1/experiments/:key/results") { request, context in
            await answer(authenticate: "Bearer") { () async throws(ExperimentsAPIError) -> String in
                try await results(request, key: context.parameters.get("key"))
            }
        }
    }

    private func answer(
        authenticate scheme: String, _ body: () async throws(ExperimentsAPIError) -> String
    ) async -> Response {
        do {
            return ExperimentsResponse.json(.ok, try await body())
        } catch {
            if error.code == .unavailable {
                logger.warning("experiments request refused", metadata: ["error": "\(error.message)"])
            }
            return error.response(authenticate: scheme)
        }
    }

    /// The variant endpoint: authenticate, read the query, look the definition up in memory, assign.
    func variant(_ request: Request, key rawKey: String?) async throws(ExperimentsAPIError) -> String {
        variantRequests.increment()
        let query = try VariantQuery(query: request.uri.query)
        let key = try Self.experimentKey(rawKey)
        let writeKey: String
        if let header = request.headers[.authorization] {
            guard let user = IngestController.basicAuthUser(header) else {
                throw ExperimentsAPIError(
                    .unauthorized, "the Authorization header must be HTTP Basic with the write key as user name"
                )
            }
            writeKey = user
        } else if let parameter = query.writeKey {
            writeKey = parameter
        } else {
            throw ExperimentsAPIError(
                .unauthorized, "no write key: send it as the HTTP Basic user name or as the writeKey parameter"
            )
        }
        guard let projectID = await projectForWriteKey(writeKey) else {
            throw ExperimentsAPIError(.unauthorized, "unknown write key")
        }
        guard let definition = await cache.definition(projectID: projectID, key: key) else {
            throw ExperimentsAPIError(.notFound, "this project has no experiment \"\(key)\"")
        }
        return definition.assign(query.attributes).jsonText
    }

    /// The results endpoint: the read key's project, then the report, on a thread of the blocking pool.
    func results(_ request: Request, key rawKey: String?) async throws(ExperimentsAPIError) -> String {
        let key = try Self.experimentKey(rawKey)
        return try await readQuery(request) { projectID, connection in
            do {
                return try ExperimentStore.report(projectID: projectID, key: key, on: connection).jsonText
            } catch let error as ExperimentStoreError where error.code == .unknownExperiment {
                throw ExperimentsAPIError(.notFound, "this project has no experiment \"\(key)\"")
            }
        }
    }

    /// Runs `body` with the project of the request's read key and a connection of its own, on a thread of the
    /// blocking pool.
    /// - Throws: ``ExperimentsAPIError`` `unauthorized` for a missing, malformed or unknown key; the
    ///   ``ExperimentsAPIError`` `body` throws; `unavailable` for any other error (the database unreachable).
    func readQuery(
        _ request: Request,
        _ body: @escaping @Sendable (Int64, PostgresConnection) throws -> String
    ) async throws(ExperimentsAPIError) -> String {
        let readKey = try Self.bearerKey(request.headers[.authorization])
        let connectionString = connectionString
        let outcome: Result<String, ExperimentsAPIError>
        do {
            outcome = try await NIOThreadPool.singleton.runIfActive {
                () throws -> Result<String, ExperimentsAPIError> in
                let connection = try PostgresConnection.connect(connectionString, retry: .never)
                guard let project = try ProjectStore.project(readKey: readKey, on: connection) else {
                    return .failure(ExperimentsAPIError(.unauthorized, "unknown read key"))
                }
                do {
                    return .success(try body(project.id, connection))
                } catch let error as ExperimentsAPIError {
                    return .failure(error)
                }
            }
        } catch let error as PostgresError where error.code == .connection {
            throw ExperimentsAPIError(.unavailable, "the database is unreachable; retry (\(error.message))")
        } catch {
            throw ExperimentsAPIError(.unavailable, "the answer could not be computed: \(error)")
        }
        return try outcome.get()
    }

    /// The experiment key of the path, percent-decoded.
    static func experimentKey(_ raw: String?) throws(ExperimentsAPIError) -> String {
        guard let raw, let key = raw.removingPercentEncoding, !key.isEmpty else {
            throw ExperimentsAPIError(.malformed, "the path must be /v1/experiments/KEY/… with a percent-encoded key")
        }
        return key
    }

    /// The key of `Authorization: Bearer KEY`.
    static func bearerKey(_ header: String?) throws(ExperimentsAPIError) -> String {
        guard let header else {
            throw ExperimentsAPIError(.unauthorized, "missing read key; send Authorization: Bearer rk_…")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw ExperimentsAPIError(.unauthorized, "the Authorization header must be Bearer with the project's read key")
        }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        if key.hasPrefix("wk_") {
            throw ExperimentsAPIError(.unauthorized, "that is a write key; the results take the project's read key (rk_…)")
        }
        return key
    }
}
