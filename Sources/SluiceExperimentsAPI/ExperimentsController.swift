import Foundation
import Hummingbird
import Logging
import Metrics
import NIOPosix
import SluiceExperiments
import SluiceExperimentsStore
import SluiceIngest
import SluicePostgres
import SluiceStatsAPI
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
/// The two read-key endpoints run on the Stats API's query pool: its own connections and threads (never the
/// event loops or NIO's shared blocking pool, which a slow count would hold), its `statement_timeout`, its
/// queue bound and its outage answer; read keys are cached as the Stats API caches them.
///
/// Errors have Sluice's JSON error shape: 400 (neither id, an id over 1,000 characters, unreadable `traits`),
/// 401 (missing or unknown key), 404 (no such experiment in the key's project), 503 with `Retry-After` (the
/// results need the database and it is unreachable).
package struct ExperimentsController: Sendable {
    let cache: ExperimentDefinitionCache
    /// The project of a write key, `nil` when no project has it (the ingest side's directory).
    let projectForWriteKey: @Sendable (String) async -> Int64?
    /// Where the list and the results are read.
    let pool: StatsQueryPool
    let keys: ReadKeyDirectory
    let logger: Logger

    private let variantRequests = Counter(label: "sluice_experiment_variant_requests_total")

    package init(
        cache: ExperimentDefinitionCache, projectForWriteKey: @escaping @Sendable (String) async -> Int64?,
        pool: StatsQueryPool, keys: ReadKeyDirectory = ReadKeyDirectory(), logger: Logger
    ) {
        self.cache = cache
        self.projectForWriteKey = projectForWriteKey
        self.pool = pool
        self.keys = keys
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

    /// The results endpoint: the read key's project, then the report, on the query pool.
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

    /// Runs `body` with the project of the request's read key and a connection of the query pool.
    /// - Throws: ``ExperimentsAPIError`` `unauthorized` for a missing, malformed or unknown key; the
    ///   ``ExperimentsAPIError`` `body` throws; `unavailable` when the pool cannot answer (the database
    ///   unreachable, the statement timeout, a full queue) or `body` failed otherwise.
    func readQuery(
        _ request: Request,
        _ body: @escaping @Sendable (Int64, PostgresConnection) throws -> String
    ) async throws(ExperimentsAPIError) -> String {
        let readKey = try Self.bearerKey(request.headers[.authorization])
        let outcome: Result<String, ExperimentsAPIError>
        do {
            let projectID = try await keys.projectID(readKey: readKey, pool: pool)
            outcome = try await pool.run { connection -> Result<String, ExperimentsAPIError> in
                do {
                    return .success(try body(projectID, connection))
                } catch let error as ExperimentsAPIError {
                    return .failure(error)
                }
            }
        } catch {
            throw Self.refusal(error)
        }
        return try outcome.get()
    }

    /// The experiments error for a refusal of the query pool or the key directory.
    static func refusal(_ error: StatsAPIError) -> ExperimentsAPIError {
        switch error.code {
        case .unauthorized: ExperimentsAPIError(.unauthorized, error.message)
        case .badRequest: ExperimentsAPIError(.malformed, error.message)
        case .unavailable, .queryTimeout, .overloaded, .internalError:
            ExperimentsAPIError(.unavailable, "the answer could not be computed; retry (\(error.message))")
        }
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
