import Hummingbird
import SluiceCore
import SluiceLoader

/// `GET /healthz`, `GET /readyz` and `GET /metrics`.
///
/// The two probes answer different questions. `/healthz` is for a supervisor deciding on a restart: 503 only
/// when the process cannot recover by itself (the spool could not be cut back after a failed write, or the
/// checkpoint belongs to another spool and loading stopped). `/readyz` is for a load balancer: 200 while
/// events are accepted durably (the spool writes and is under its disk budget), whatever the database does,
/// since the spool absorbs an outage and a balancer must not drop every node at that moment.
package struct HealthController: Sendable {
    let committer: SpoolCommitter
    let loader: SpoolLoader
    /// The spool's disk budget (`--spool-max-bytes`): at it, requests are refused.
    let spoolMaxBytes: Int64

    package init(committer: SpoolCommitter, loader: SpoolLoader, spoolMaxBytes: Int64) {
        self.committer = committer
        self.loader = loader
        self.spoolMaxBytes = spoolMaxBytes
    }

    package func addRoutes(to router: Router<IngestRequestContext>) {
        router.get("/healthz") { _, _ in health() }
        router.get("/readyz") { _, _ in readiness() }
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: IngestMetrics.text()))
            )
        }
    }

    /// `200 {"status":"ok"}`, or `503 {"status":"failed","reason":"…"}` when only a restart or an operator
    /// can help.
    private func health() -> Response {
        var reason: String?
        if let failure = committer.permanentFailure {
            reason = failure
        } else if case .refused(let message) = loader.health {
            reason = "loading stopped: \(message)"
        }
        guard let reason else { return IngestResponse.json(.ok, #"{"status":"ok"}"#) }
        return IngestResponse.json(
            .serviceUnavailable, #"{"status":"failed","reason":"# + JSONString.quoted(reason) + "}"
        )
    }

    /// `{"ready":…,"database":"ok"|"unavailable"}`, with `"reason"` when not ready and `"loader"` when
    /// loading fails for another reason than the database.
    private func readiness() -> Response {
        var reason: String?
        if let failure = committer.failure {
            reason = failure
        } else if committer.spoolBytes >= spoolMaxBytes {
            reason = "the spool is at its disk budget (\(spoolMaxBytes) bytes) while the loader catches up"
        }
        var database = "ok"
        var loading: String?
        switch loader.health {
        case .healthy, .starting: break
        case .databaseUnavailable: database = "unavailable"
        case .failed(let message), .refused(let message): loading = message
        }
        var body = #"{"ready":\#(reason == nil),"database":"\#(database)""#
        if let loading { body += #","loader":"# + JSONString.quoted(loading) }
        if let reason { body += #","reason":"# + JSONString.quoted(reason) }
        body += "}"
        return IngestResponse.json(reason == nil ? .ok : .serviceUnavailable, body)
    }
}
