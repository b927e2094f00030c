import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import SluiceCore
import SluicePostgres
import SluiceStats

/// The Stats API's routes (`GET /v1/stats/aggregate`, `timeseries`, `breakdown`, `realtime/visitors`):
/// the read key from `Authorization: Bearer`, the parameters validated, the plan's statements run on the
/// query pool, the rows rendered as Plausible's v1 shapes.
///
/// Handlers only parse, wait and render: every database round trip runs on ``StatsQueryPool``'s threads.
/// Every refusal is `{"error":"…"}` (with `"parameter"` for a 400) and a status: 400 bad parameter, 401 no
/// or wrong key, 503 with `Retry-After` when the database is unreachable, the query timed out or the pool
/// is full; never a 5xx for bad input.
package struct StatsController: Sendable {
    let pool: StatsQueryPool
    let keys: ReadKeyDirectory
    let logger: Logger

    package init(pool: StatsQueryPool, keys: ReadKeyDirectory = ReadKeyDirectory(), logger: Logger) {
        self.pool = pool
        self.keys = keys
        self.logger = logger
    }

    /// Adds the four routes to `router`, whatever its request context.
    package func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        for endpoint in StatsEndpoint.allCases {
            router.get(RouterPath(endpoint.path)) { request, _ in await handle(endpoint, request) }
        }
    }

    private func handle(_ endpoint: StatsEndpoint, _ request: Request) async -> Response {
        let started = ContinuousClock.now
        let response: Response
        do {
            response = Self.json(.ok, try await answer(endpoint, request))
        } catch {
            if error.status.code >= 500 {
                logger.warning(
                    "stats request failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"]
                )
            }
            response = Self.refusal(error)
        }
        Counter(
            label: "sluice_stats_requests_total",
            dimensions: [("endpoint", endpoint.rawValue), ("status", String(response.status.code))]
        ).increment()
        let (seconds, attoseconds) = (ContinuousClock.now - started).components
        Metrics.Timer(label: "sluice_stats_request_seconds", dimensions: [("endpoint", endpoint.rawValue)])
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        return response
    }

    private func answer(_ endpoint: StatsEndpoint, _ request: Request) async throws(StatsAPIError) -> String {
        let key = try Self.bearerToken(request.headers[.authorization])
        let query: StatsQuery
        do {
            query = try StatsQuery(
                endpoint: endpoint, parameters: StatsQueryString.pairs(request.uri.query), today: .today()
            )
        } catch {
            throw StatsAPIError(error)
        }
        let projectID = try await keys.projectID(readKey: key, pool: pool)
        let plan = StatsPlan(query, projectID: projectID)
        let (rows, total) = try await pool.run { connection in
            let rows = try Self.rows(plan.statement, on: connection)
            let total = try plan.denominator.map { try Self.rows($0, on: connection).first?.measures.visitors ?? 0 }
            return (rows, total ?? 0)
        }
        return StatsResponse.render(query, rows: rows, totalVisitors: total)
    }

    /// Runs a plan's statement; its rows as key and measures.
    package static func rows(_ statement: StatsStatement, on connection: PostgresConnection) throws -> [StatsRow] {
        let result =
            statement.reusesPlan
            ? try connection.reusingPlan(statement.sql, statement.parameters)
            : try connection.query(statement.sql, statement.parameters)
        return try (0..<result.rowCount).map { row in
            func measure(_ column: Int) throws -> Int64 { Int64(try result.int(row, column) ?? 0) }
            return StatsRow(
                key: result.string(row, 0) ?? "",
                measures: StatsMeasures(
                    visitors: try measure(1), pageviews: try measure(2), events: try measure(3),
                    visits: try measure(4), bounces: try measure(5), durationMicroseconds: try measure(6),
                    visitPageviews: try measure(7)
                )
            )
        }
    }

    /// The key of `Authorization: Bearer KEY`.
    /// - Throws: ``StatsAPIError`` (`unauthorized`) when the header is missing or not a bearer token.
    package static func bearerToken(_ header: String?) throws(StatsAPIError) -> String {
        guard let header else {
            throw StatsAPIError(.unauthorized, "missing read key; send Authorization: Bearer rk_…")
        }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw StatsAPIError(.unauthorized, "the Authorization header must be Bearer with the project's read key")
        }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    package static func refusal(_ error: StatsAPIError) -> Response {
        var response = json(error.status, StatsResponse.error(error.message, parameter: error.parameter))
        if let seconds = error.retryAfterSeconds { response.headers[.retryAfter] = String(seconds) }
        if error.code == .unauthorized { response.headers[.wwwAuthenticate] = "Bearer" }
        return response
    }

    package static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }
}
