// SluicePrivacyAPI: `POST /v1/privacy/forget`, what `sluice forget` does, over HTTP with the read key. The
// body's rules live in SluiceRetention (ForgetRequest), the erasure in SluiceRetentionJob (PersonEraser).

import HTTPTypes
import Hummingbird
import Logging
import Metrics
import NIOCore
import SluicePostgres
import SluiceRetention
import SluiceRetentionJob
import SluiceStatsAPI

/// `POST /v1/privacy/forget`: erases the person the body names from the read key's project, as
/// `sluice forget` does, and answers what was removed (counts only).
///
/// The handler only parses, waits and renders: the erasure (blocking round trips, a transaction, then the
/// rollup recomputation) runs on a thread of the Stats API's ``StatsQueryPool``, never on an event loop or
/// the cooperative pool. Answers: 200 with ``ForgetSummary``'s JSON; 400 `{"error":"…","parameter":"…"}` for
/// a body that is not JSON, names neither or both ids, or an id over 1,000 characters; 401 with
/// `WWW-Authenticate: Bearer` without the project's read key (a write key included); 503 with `Retry-After`
/// when the database is unreachable — the Stats API's shapes.
///
/// The pool runs a body again when its connection broke under it; an erasure run twice erases nothing more
/// the second time (its answer then counts 0 rows).
package struct PrivacyController: Sendable {
    let pool: StatsQueryPool
    let keys: ReadKeyDirectory
    let logger: Logger

    package static let path = "/v1/privacy/forget"
    /// Bytes of body read at most: ample for an id of 1,000 characters written as `\uXXXX` escapes.
    package static let maxBodyBytes = 16 * 1_024

    package init(pool: StatsQueryPool, keys: ReadKeyDirectory = ReadKeyDirectory(), logger: Logger) {
        self.pool = pool
        self.keys = keys
        self.logger = logger
    }

    package func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.post(RouterPath(Self.path)) { request, _ in await handle(request) }
    }

    private func handle(_ request: Request) async -> Response {
        let response: Response
        do {
            response = StatsController.json(.ok, try await answer(request))
        } catch {
            if error.status.code >= 500 {
                logger.warning(
                    "forget request failed", metadata: ["code": "\(error.code.rawValue)", "error": "\(error.message)"]
                )
            }
            response = StatsController.refusal(error)
        }
        Counter(label: "sluice_forget_requests_total", dimensions: [("status", String(response.status.code))])
            .increment()
        return response
    }

    private func answer(_ request: Request) async throws(StatsAPIError) -> String {
        let key = try StatsController.bearerToken(request.headers[.authorization])
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.body.collect(upTo: Self.maxBodyBytes))
        } catch {
            throw StatsAPIError(
                .badRequest, "body is over \(Self.maxBodyBytes) bytes or could not be read", parameter: "body"
            )
        }
        let forget: ForgetRequest
        do {
            forget = try ForgetRequest(json: body)
        } catch {
            throw StatsAPIError(.badRequest, error.message, parameter: error.field)
        }
        let projectID = try await keys.projectID(readKey: key, pool: pool)
        let report = try await pool.run { connection in
            try Self.withoutStatementTimeout(connection) {
                try PersonEraser().erase(forget.id, project: projectID, on: connection)
            }
        }
        if let pending = report.rollupsPending {
            logger.warning("an erasure committed but its rollups wait for the rollups job", metadata: ["error": "\(pending)"])
        }
        logger.notice(
            "erased a person", metadata: ["project": "\(projectID)", "ids": "\(report.ids.count)", "events": "\(report.events)"]
        )
        return ForgetSummary(
            ids: report.ids.count, events: report.events, sessions: report.sessions, assignments: report.assignments,
            otherRows: report.otherRows,
            bucketsRecomputed: report.bucketsRecomputed, rollupsRecomputed: report.rollupsPending == nil
        ).json
    }

    /// Runs `body` with the connection's `statement_timeout` lifted, then sets it back: the pool's limit is
    /// for dashboard reads, and an erasure of a person with years of events must not be cut off half-way
    /// through its rollups.
    static func withoutStatementTimeout<T>(_ connection: PostgresConnection, _ body: () throws -> T) throws -> T {
        let previous = try connection.query("SELECT current_setting('statement_timeout')").string(0, 0) ?? "0"
        try connection.execute("SET statement_timeout = 0")
        defer { _ = try? connection.query("SELECT set_config('statement_timeout', $1, false)", [previous]) }
        return try body()
    }
}
