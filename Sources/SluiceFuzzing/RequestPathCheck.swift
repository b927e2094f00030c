import Foundation
import NIOCore
import SluiceCore
import SluiceEnrichment
import SluiceIngest
import SluiceSegment

/// The request path of `POST /v1/…` without the network and the spool: the same authentication, inflation,
/// decoding, enrichment and COPY encoding the server runs, with its default limits, checked for what must
/// hold whatever the bytes.
///
/// Every input must end in accepted events or a 4xx-class refusal, never a crash or a 5xx; and every accepted
/// event must encode to a well-framed `analytics.events` tuple that ``CopyTuples`` reads back, whose text
/// fields PostgreSQL can store (valid UTF-8, no NUL) and whose jsonb fields are version 1 followed by a JSON
/// object. Hangs and unbounded allocation are libFuzzer's to catch (`-timeout`, `-rss_limit_mb`).
package enum RequestPathCheck {
    /// The server's default limits (`sluice serve` without options).
    static let configuration = IngestConfiguration(connectionString: "")
    static let bodyDecoder = RequestBodyDecoder(
        maxBytes: configuration.maxRequestBytes, maxRatio: configuration.maxInflationRatio
    )
    static let decoder = SegmentDecoder(limits: configuration.limits)
    static let enricher = Enricher(ipMode: .hash, secret: Array(repeating: 0x5A, count: 32))
    static let clientAddress = InetAddress("203.0.113.9")
    static let receivedAt = Timestamp(unixMicroseconds: 1_798_675_200_000_000)  // 2026-12-31T00:00:00Z

    /// Runs one request through; returns the number of events accepted (0 when it was refused).
    ///
    /// - Throws: ``FuzzFinding`` when an invariant breaks.
    @discardableResult
    package static func run(_ input: RequestInput) throws(FuzzFinding) -> Int {
        let call: SegmentCall
        switch input.endpoint {
        case "batch": call = .batch
        case let name:
            guard let type = EventType(rawValue: name) else { return 0 }  // Not a route: 404 before any of this.
            call = .single(type)
        }
        if input.authorization != nil && IngestController.basicAuthUser(input.authorization) == nil {
            return 0  // 401
        }
        let body: ByteBuffer
        do {
            body = try bodyDecoder.decode(ByteBuffer(bytes: input.body), contentEncoding: input.contentEncoding)
        } catch {
            try requireClientError(error, stage: "inflate")
            return 0
        }
        guard body.readableBytes <= configuration.maxRequestBytes else {
            throw FuzzFinding(
                "request.inflate", "inflated to \(body.readableBytes) bytes, over \(configuration.maxRequestBytes)"
            )
        }
        let batch: SegmentBatch
        do {
            var counter = 0
            batch = try body.withUnsafeReadableBytes { bytes throws(SegmentRequestError) in
                try decoder.decode(bytes, call: call, projectID: 0, receivedAt: receivedAt) {
                    counter += 1
                    return "generated-\(counter)"
                }
            }
        } catch {
            return 0  // 400, whatever the code: the decoder's errors are all malformed-request answers.
        }
        try checkBatch(batch, call: call)
        guard !batch.events.isEmpty else { return 0 }
        let headerCountry = input.country
        let submission = SpoolSubmission.encoding(
            batch, projectID: 42, enricher: enricher, clientAddress: clientAddress, headerCountry: headerCountry
        )
        try checkEncoding(submission, of: batch)
        return batch.events.count
    }

    private static func requireClientError(_ error: IngestError, stage: String) throws(FuzzFinding) {
        guard (400..<500).contains(error.code.status.code) else {
            throw FuzzFinding("request.\(stage)", "answered \(error.code.status.code) (\(error)), not a 4xx")
        }
    }

    private static func checkBatch(_ batch: SegmentBatch, call: SegmentCall) throws(FuzzFinding) {
        let limits = configuration.limits
        let total = batch.events.count + batch.rejected.count
        if call == .batch, total > limits.maxBatchEvents {
            throw FuzzFinding("request.decode", "\(total) events decoded, more than the \(limits.maxBatchEvents) allowed")
        }
        if call != .batch, total > 1 {
            throw FuzzFinding("request.decode", "a single-event call produced \(total) events")
        }
        let indices = (batch.events.map(\.index) + batch.rejected.map(\.index)).sorted()
        guard indices == Array(0..<total) else {
            throw FuzzFinding("request.decode", "event indices \(indices.prefix(20)) are not 0..<\(total)")
        }
        for event in batch.events {
            let length = event.row.messageID.unicodeScalars.count
            guard length > 0, length <= limits.maxMessageIDLength else {
                throw FuzzFinding("request.decode", "accepted event \(event.index) has a messageId of \(length) characters")
            }
            guard event.row.userID != nil || event.row.anonymousID != nil else {
                throw FuzzFinding("request.decode", "accepted event \(event.index) has neither userId nor anonymousId")
            }
        }
    }

    /// The columns of `analytics.events` holding `text` and `jsonb`, by position in ``EventRow/columns``.
    private static let textFields: [Int] = [1, 2, 3, 4, 5, 6, 7] + Array(12...22)
    private static let jsonbFields = [25, 26, 27]

    private static func checkEncoding(_ submission: SpoolSubmission, of batch: SegmentBatch) throws(FuzzFinding) {
        guard submission.tupleEnds.count == batch.events.count, submission.keys.count == batch.events.count else {
            throw FuzzFinding("request.encoding", "\(batch.events.count) events gave \(submission.tupleEnds.count) tuples")
        }
        var tuples = CopyTuples(submission.tuples)
        for (index, event) in batch.events.enumerated() {
            let tuple: CopyTuples.Tuple?
            do {
                tuple = try tuples.next()
            } catch {
                throw FuzzFinding("request.encoding", "tuple \(index) does not read back: \(error)")
            }
            guard let tuple, tuple.range.upperBound == submission.tupleEnds[index] else {
                throw FuzzFinding("request.encoding", "tuple \(index) does not end where the submission says")
            }
            guard tuple.fieldCount == EventRow.columns.count else {
                throw FuzzFinding("request.encoding", "tuple \(index) has \(tuple.fieldCount) fields")
            }
            try checkFields(of: tuple, index: index, messageID: event.row.messageID)
        }
        do {
            if try tuples.next() != nil { throw FuzzFinding("request.encoding", "more tuples than events") }
        } catch let finding as FuzzFinding {
            throw finding
        } catch {
            throw FuzzFinding("request.encoding", "bytes after the last tuple: \(error)")
        }
    }

    private static func checkFields(of tuple: CopyTuples.Tuple, index: Int, messageID: String) throws(FuzzFinding) {
        func field(_ number: Int) throws(FuzzFinding) -> ArraySlice<UInt8>? {
            do {
                return try tuple.field(number)
            } catch {
                throw FuzzFinding("request.encoding", "tuple \(index) field \(number): \(error)")
            }
        }
        guard let storedID = try field(1), storedID.elementsEqual(messageID.utf8) else {
            throw FuzzFinding("request.encoding", "tuple \(index) does not hold its messageId")
        }
        for number in textFields {
            guard let text = try field(number) else { continue }
            guard !text.contains(0), String(validating: text, as: UTF8.self) != nil else {
                throw FuzzFinding(
                    "request.encoding", "tuple \(index) column \(EventRow.columns[number]) is text PostgreSQL refuses"
                )
            }
        }
        for number in jsonbFields {
            guard let value = try field(number) else { continue }
            let column = EventRow.columns[number]
            guard value.first == 1 else {
                throw FuzzFinding("request.encoding", "tuple \(index) column \(column) is not jsonb version 1")
            }
            let text = value.dropFirst()
            guard !text.contains(0), String(validating: text, as: UTF8.self) != nil,
                (try? JSONSerialization.jsonObject(with: Data(text))) is [String: Any]
            else {
                throw FuzzFinding(
                    "request.encoding",
                    "tuple \(index) column \(column) is not a JSON object: \(String(decoding: text.prefix(200), as: UTF8.self))"
                )
            }
        }
    }
}
