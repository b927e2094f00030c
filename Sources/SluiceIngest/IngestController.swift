import Foundation
import Hummingbird
import Logging
import Metrics
import HTTPTypes
import NIOCore
import SluiceCore
import SluiceEnrichment
import SluiceSegment
import SluiceTracker

/// The Segment Tracking API endpoints: authenticate, inflate, decode, enrich, encode, hand to the spool,
/// and answer once the events are durable.
///
/// Everything up to the ring runs on the request's task, in parallel across connections; what follows is
/// the spool committer's single thread. A request holds no lock and touches the database only when its
/// write key is unknown.
package struct IngestController: Sendable {
    let configuration: IngestConfiguration
    let committer: SpoolCommitter
    let projects: ProjectDirectory
    let decoder: SegmentDecoder
    let enricher: Enricher
    let bodyDecoder: RequestBodyDecoder
    /// `--max-inflight-requests`: taken before a body is read, returned once its events are in the ring.
    let permits: RequestPermits
    /// Ends the waits for acknowledgements still open when a shutdown's deadline passes.
    let shutdown: ShutdownDeadline
    let logger: Logger

    private let eventsReceived = Counter(label: "sluice_events_received_total")
    private let eventsAccepted = Counter(label: "sluice_events_accepted_total")
    private let bytesIn = Counter(label: "sluice_request_bytes_total")
    private let ackLatency = Metrics.Timer(label: "sluice_ack_latency_seconds")

    package init(
        configuration: IngestConfiguration, committer: SpoolCommitter, projects: ProjectDirectory,
        enricher: Enricher, shutdown: ShutdownDeadline? = nil, logger: Logger
    ) {
        self.configuration = configuration
        self.committer = committer
        self.projects = projects
        self.decoder = SegmentDecoder(limits: configuration.limits)
        self.enricher = enricher
        self.bodyDecoder = RequestBodyDecoder(
            maxBytes: configuration.maxRequestBytes, maxRatio: configuration.maxInflationRatio
        )
        self.permits = RequestPermits(limit: configuration.maxInflightRequests)
        // Without one from the server, a deadline of its own that only a shutdown of this controller begins.
        self.shutdown = shutdown ?? ShutdownDeadline(allowance: configuration.shutdownDeadline)
        self.logger = logger
    }

    /// Adds the seven Segment routes, with CORS (preflight included) so pages of any origin can post to them.
    package func addRoutes(to router: Router<IngestRequestContext>) {
        let routes = IngestCORS.group(on: router)
        routes.post("/v1/batch") { request, context in await handle(request, context, call: .batch) }
        for type in EventType.allCases {
            routes.post("/v1/\(type.rawValue)") { request, context in await handle(request, context, call: .single(type)) }
        }
        IngestCORS.addPreflights(for: ["/v1/batch"] + EventType.allCases.map { "/v1/\($0.rawValue)" }, to: routes)
    }

    private func handle(_ request: Request, _ context: IngestRequestContext, call: SegmentCall) async -> Response {
        let started = ContinuousClock.now
        do {
            let rejected = try await ingest(request, context, call: call)
            ackLatency.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
            return IngestResponse.accepted(rejected: rejected)
        } catch let failure {
            Counter(label: "sluice_requests_refused_total", dimensions: [("code", failure.code.name)]).increment()
            if failure.code.status.code >= 500 {
                logger.warning("request refused", metadata: ["code": "\(failure.code.name)", "error": "\(failure.message)"])
            }
            return IngestResponse.refused(failure)
        }
    }

    /// Takes one request through to the spool; returns the rejected events to name in the answer.
    private func ingest(
        _ request: Request, _ context: IngestRequestContext, call: SegmentCall
    ) async throws(IngestError) -> [SegmentRejection] {
        let receivedAt = Timestamp.now()
        let headerKey = Self.basicAuthUser(request.headers[.authorization])
        if request.headers[.authorization] != nil && headerKey == nil {
            throw IngestError(.unauthorized, "the Authorization header must be HTTP Basic with the write key as user name")
        }
        // Known before reading the body, a wrong key costs no decoding.
        var projectID: Int64?
        if let headerKey {
            projectID = await projects.projectID(writeKey: headerKey)
            guard projectID != nil else { throw IngestError(.unauthorized, "unknown write key") }
        }

        // Bounds the bodies in memory at once, whatever the number of connections.
        guard await permits.acquire(until: ContinuousClock.now + configuration.backpressureWait) else {
            throw IngestError(.overloaded, "the server has --max-inflight-requests requests in progress; retry later")
        }
        defer { permits.release() }
        let raw = try await collectBody(request)
        bytesIn.increment(by: raw.readableBytes)
        let body = try bodyDecoder.decode(raw, contentEncoding: request.headers[.contentEncoding])
        let batch: SegmentBatch
        do {
            batch = try body.withUnsafeReadableBytes { bytes throws(SegmentRequestError) in
                try decoder.decode(
                    bytes, call: call, projectID: projectID ?? 0, receivedAt: receivedAt,
                    newMessageID: { UUID().uuidString.lowercased() }
                )
            }
        } catch {
            throw IngestError(.malformed, error.message)
        }
        if projectID == nil {
            guard let bodyKey = batch.writeKey, !bodyKey.isEmpty else {
                throw IngestError(
                    .unauthorized, "no write key: send it as the HTTP Basic user name or as \"writeKey\" in the body"
                )
            }
            guard let id = await projects.projectID(writeKey: bodyKey) else {
                throw IngestError(.unauthorized, "unknown write key")
            }
            projectID = id
        }
        eventsReceived.increment(by: batch.events.count + batch.rejected.count)
        for rejection in batch.rejected {
            Counter(label: "sluice_events_rejected_total", dimensions: [("reason", Self.reasonLabel(rejection.reason))])
                .increment()
        }
        guard !batch.events.isEmpty, let projectID else { return batch.rejected }

        let submission = encode(batch, projectID: projectID, receivedAt: receivedAt, request: request, context: context)
        try await hand(submission)
        eventsAccepted.increment(by: batch.events.count)
        return batch.rejected
    }

    private func encode(
        _ batch: SegmentBatch, projectID: Int64, receivedAt: Timestamp, request: Request, context: IngestRequestContext
    ) -> SpoolSubmission {
        let clientAddress = context.remoteAddress?.ipAddress.flatMap { InetAddress($0) }
        let headerCountry = configuration.countryHeader.flatMap { name in
            HTTPField.Name(name).flatMap { request.headers[$0] }
        }
        return SpoolSubmission.encoding(
            batch, projectID: projectID, enricher: enricher, clientAddress: clientAddress, headerCountry: headerCountry
        )
    }

    /// Puts the submission in the ring, waiting a bounded time for room (and for spool disk budget), then,
    /// with `--ack durable`, waits for the fsync that makes it durable.
    private func hand(_ submission: SpoolSubmission) async throws(IngestError) {
        let deadline = ContinuousClock.now + configuration.backpressureWait
        while committer.spoolBytes >= configuration.spoolMaxBytes {
            guard ContinuousClock.now < deadline else {
                throw IngestError(
                    .spoolFull, "the spool has reached its disk budget while the database catches up; retry later"
                )
            }
            try? await Task.sleep(for: .milliseconds(10))
        }
        if let failure = committer.failure {
            throw IngestError(.spoolFailed, "the spool is not accepting events: \(failure)")
        }
        let ringFull = IngestError(.overloaded, "the server is at capacity; retry later")
        while true {
            let outcome: Result<SpoolReceipt, IngestError>
            if configuration.ack == .durable {
                // The acknowledgement travels with the submission and the committer answers it after the fsync
                // (or the shutdown deadline does); if the ring is full the loop waits and tries again.
                let acknowledgement = SpoolAcknowledgement()
                var waiting = submission
                waiting.acknowledgement = acknowledgement
                outcome = committer.submit(waiting) ? await acknowledgement.result(until: shutdown) : .failure(ringFull)
            } else {
                outcome = committer.submit(submission) ? .success(SpoolReceipt(stored: 0, duplicates: 0)) : .failure(ringFull)
            }
            switch outcome {
            case .success:
                return
            case .failure(let error) where error.code != .overloaded:
                throw error
            case .failure:
                guard ContinuousClock.now < deadline else { throw ringFull }
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
    }

    private func collectBody(_ request: Request) async throws(IngestError) -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: configuration.maxRequestBytes)
        } catch {
            if error is NIOTooManyBytesError || (error as? HTTPError)?.status == .contentTooLarge {
                throw IngestError(.tooLarge, "the body is over the limit of \(configuration.maxRequestBytes) bytes")
            }
            throw IngestError(.malformed, "could not read the request body: \(error)")
        }
    }

    /// The user name of an HTTP Basic `Authorization` header (the write key), or nil if there is none.
    package static func basicAuthUser(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1].trimmingCharacters(in: .whitespaces))),
            let credentials = String(data: data, encoding: .utf8)
        else { return nil }
        let user = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return user.isEmpty ? nil : String(user)
    }

    /// A bounded label for a rejection reason: its text up to the first detail (a colon or a digit).
    static func reasonLabel(_ reason: String) -> String {
        let cut = reason.firstIndex { $0 == ":" || $0 == "(" || $0.isNumber } ?? reason.endIndex
        return String(reason[..<cut].prefix(60)).trimmingCharacters(in: .whitespaces)
    }
}
