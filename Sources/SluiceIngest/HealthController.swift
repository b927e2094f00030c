import Hummingbird
import SluiceCore
import SluiceLoader

/// `GET /healthz`, `GET /readyz` and `GET /metrics`.
package struct HealthController: Sendable {
    let committer: SpoolCommitter
    let loader: SpoolLoader

    package func addRoutes(to router: Router<IngestRequestContext>) {
        router.get("/healthz") { _, _ in IngestResponse.json(.ok, #"{"status":"ok"}"#) }
        router.get("/readyz") { _, _ in readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: IngestMetrics.text()))
            )
        }
    }

    /// 200 while the spool takes events and the loader reaches the database; 503 naming what is wrong.
    /// While the database is down the server still accepts events into the spool, but says it is not ready
    /// so that operators and load balancers see the outage.
    private func readiness() -> Response {
        let reason: String
        if let failure = committer.failure {
            reason = "spool failed: \(failure)"
        } else {
            switch loader.health {
            case .healthy: return IngestResponse.json(.ok, #"{"ready":true}"#)
            case .starting: reason = "loader starting"
            case .databaseUnavailable(let message):
                reason = "database unavailable, events are kept in the spool: \(message)"
            case .failed(let message), .refused(let message): reason = "loader failed: \(message)"
            }
        }
        return IngestResponse.json(.serviceUnavailable, #"{"ready":false,"reason":"# + JSONString.quoted(reason) + "}")
    }
}
