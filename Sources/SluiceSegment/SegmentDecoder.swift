// SluiceSegment: decodes Segment Tracking API request bodies straight from the request bytes into events,
// validating them as PostgreSQL's jsonb will, without building a JSON object tree per event.

import SluiceCore

/// Decodes Segment HTTP Tracking API request bodies (already decompressed) into event rows and hints.
///
/// One validating pass over the body finds the byte ranges of the members Sluice reads, without building a
/// JSON tree; `properties`, `traits` and `context` are stored as the validated JSON text they arrived as.
/// Then each event is checked against Segment's rules and built; a bad event is rejected by its index and
/// never fails the others, while a body that is not JSON (or has no `batch` array, or too many events)
/// fails the whole request.
///
/// Choices where Segment leaves room:
/// - A single-event call (`/v1/track`, …) takes its type from the path; a `type` member is ignored.
/// - Identifiers (`userId`, `anonymousId`, `groupId`, `previousId`, `messageId`) may be strings or numbers
///   (stored as the number's JSON text); empty strings count as absent.
/// - `context` is stored without `ip` (it goes to ``EventHints/ip`` only) and without a client's `sluice`
///   member: `context.sluice` is where Sluice records `{"futureTimestampReplaced":"<ISO time>"}` when an event's
///   time lay more than ``SegmentLimits/maxFutureSeconds`` ahead of `receivedAt`, and
///   `{"pastTimestampReplaced":"<ISO time>"}` when it lay before the first day of
///   ``SegmentLimits/partitionWindow`` (the ISO time is the replaced, skew-corrected time in UTC). Either
///   way the event's `timestamp` becomes `receivedAt`, so no time reaches PostgreSQL that it would put in the
///   default partition or refuse as out of range (a refused row would make the loader bisect its batch).
/// - `integrations` (event or batch level) is validated and dropped: no column holds it.
/// - Objects and arrays may nest at most ``maxDepth`` deep, counting the body as 1; deeper bodies fail the
///   request (``SegmentRequestError/Code/nestingTooDeep``) so that scanning never exhausts the stack.
public struct SegmentDecoder: Sendable {
    package var limits: SegmentLimits

    /// The deepest nesting of objects and arrays accepted in a body, the body itself counting as 1 (so an
    /// event's `properties` in a batch are at depth 4).
    package static let maxDepth = 64

    /// A decoder enforcing `limits` (Segment's own by default).
    public init(limits: SegmentLimits = SegmentLimits()) {
        self.limits = limits
    }

    /// Decodes one request body.
    ///
    /// - Parameters:
    ///   - body: the decompressed request body; only read during the call.
    ///   - call: the endpoint the body was posted to.
    ///   - projectID: written into every row.
    ///   - receivedAt: the server's receive time: every row's `receivedAt`, and the base of clock-skew
    ///     correction.
    ///   - newMessageID: called once for each accepted event without a `messageId`.
    /// - Returns: the accepted events and the rejected ones, both in body order, and the body's `writeKey`.
    /// - Throws: ``SegmentRequestError`` when the request as a whole is malformed.
    package func decode(
        _ body: UnsafeRawBufferPointer, call: SegmentCall, projectID: Int64, receivedAt: Timestamp,
        newMessageID: () -> String
    ) throws(SegmentRequestError) -> SegmentBatch {
        let scanner = JSONScanner(body, maxDepth: Self.maxDepth)
        let scanned: ScannedRequest?
        do throws(JSONScanError) {
            scanned = try scanRequest(scanner, call: call)
        } catch {
            throw Self.requestError(for: error)
        }
        guard let request = scanned else {
            throw SegmentRequestError(.notAnObject, "The request body must be a JSON object.")
        }
        if call == .batch {
            guard request.hasBatchArray else {
                throw SegmentRequestError(.missingBatch, "The request body has no \"batch\" array.")
            }
            guard request.itemCount <= limits.maxBatchEvents else {
                throw SegmentRequestError(
                    .tooManyEvents,
                    "The batch holds \(request.itemCount) events; at most \(limits.maxBatchEvents) are accepted."
                )
            }
        }

        let builder = EventBuilder(
            scanner: scanner, limits: limits, call: call, projectID: projectID, receivedAt: receivedAt,
            sharedContextValue: request.contextValue, sharedContext: request.context,
            sharedSentAtValue: request.sentAt
        )
        var batch = SegmentBatch()
        if let writeKey = request.writeKey, scanner.kind(of: writeKey) == .string {
            batch.writeKey = scanner.decodeString(writeKey)
        }
        batch.events.reserveCapacity(request.items.count)
        for item in request.items {
            do throws(EventBuilder.Rejection) {
                batch.events.append(try builder.event(from: item, newMessageID: newMessageID))
            } catch {
                batch.rejected.append(SegmentRejection(index: item.index, reason: error.reason))
            }
        }
        return batch
    }

    /// Decodes one request body held in an array; see the `UnsafeRawBufferPointer` variant.
    public func decode(
        _ body: [UInt8], call: SegmentCall, projectID: Int64, receivedAt: Timestamp, newMessageID: () -> String
    ) throws(SegmentRequestError) -> SegmentBatch {
        // `withUnsafeBytes` rethrows untyped errors, so the typed error travels out in a `Result`.
        let result = body.withUnsafeBytes { bytes in
            Result { () throws(SegmentRequestError) in
                try decode(bytes, call: call, projectID: projectID, receivedAt: receivedAt, newMessageID: newMessageID)
            }
        }
        return try result.get()
    }

    // MARK: Scanning

    /// What the single pass over a body found.
    private struct ScannedRequest {
        /// The events: the `batch` items (at most ``SegmentLimits/maxBatchEvents`` of them kept), or the body
        /// of a single-event call.
        var items: [ScannedEvent] = []
        /// The number of `batch` items, including those not kept.
        var itemCount = 0
        var hasBatchArray = false
        /// The batch-level `context` value (any kind), and the context itself when it is an object.
        var contextValue: Range<Int>?
        var context: ScannedContext?
        var sentAt: Range<Int>?
        var writeKey: Range<Int>?
    }

    /// The batch-level members read from a `/v1/batch` body.
    private enum TopLevelField: Int {
        case batch, context, sentAt, writeKey

        static let names: [StaticString] = ["batch", "context", "sentAt", "writeKey"]
    }

    /// Scans the whole body; `nil` when it is valid JSON but not an object.
    private func scanRequest(_ scanner: JSONScanner, call: SegmentCall) throws(JSONScanError) -> ScannedRequest? {
        let bytes = scanner.bytes
        let start = scanner.skipWhitespace(0)
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else {
            var ignored: JSONScanError?
            let value = try scanner.scanValue(from: start, depth: 1, unstorable: &ignored)
            try Self.expectEnd(after: value.upperBound, in: scanner)
            return nil
        }
        var request = ScannedRequest()
        if case .single = call {
            let item = try ScannedEvent.scan(itemAt: start, depth: 1, index: 0, with: scanner)
            try Self.expectEnd(after: item.range.upperBound, in: scanner)
            request.items = [item]
            request.itemCount = 1
            request.writeKey = item.writeKey
            return request
        }

        let maxItems = limits.maxBatchEvents
        var ignored: JSONScanError?
        let end = try scanner.forEachMember(ofObjectAt: start, depth: 1, unstorable: &ignored) {
            key, valueStart, valueDepth, problem throws(JSONScanError) in
            guard let field = scanner.index(ofKey: key, in: TopLevelField.names).flatMap(TopLevelField.init) else {
                return try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem).upperBound
            }
            let valueOffset = scanner.skipWhitespace(valueStart)
            let opening: UInt8 = valueOffset < bytes.count ? bytes[valueOffset] : 0
            switch field {
            case .batch where opening == UInt8(ascii: "["):
                // A repeated `batch` member replaces the earlier one, as in `jsonb`.
                request.hasBatchArray = true
                request.items = []
                request.itemCount = 0
                return try scanner.forEachElement(ofArrayAt: valueOffset, depth: valueDepth, unstorable: &problem) {
                    elementStart, elementDepth, problem throws(JSONScanError) in
                    let index = request.itemCount
                    request.itemCount += 1
                    guard index < maxItems else {
                        // Past the limit the request fails; the rest is only checked to be JSON.
                        return try scanner.scanValue(from: elementStart, depth: elementDepth, unstorable: &problem)
                            .upperBound
                    }
                    let item = try ScannedEvent.scan(
                        itemAt: elementStart, depth: elementDepth, index: index, with: scanner
                    )
                    request.items.append(item)
                    return item.range.upperBound
                }
            case .batch:
                request.hasBatchArray = false
                request.items = []
                request.itemCount = 0
                return try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem).upperBound
            case .context where opening == UInt8(ascii: "{"):
                let context = try ScannedContext.scan(
                    objectAt: valueOffset, depth: valueDepth, with: scanner, unstorable: &problem
                )
                request.context = context
                request.contextValue = context.range
                return context.range.upperBound
            case .context:
                let value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                request.context = nil
                request.contextValue = value
                return value.upperBound
            case .sentAt:
                let value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                request.sentAt = value
                return value.upperBound
            case .writeKey:
                let value = try scanner.scanValue(from: valueStart, depth: valueDepth, unstorable: &problem)
                request.writeKey = value
                return value.upperBound
            }
        }
        try Self.expectEnd(after: end, in: scanner)
        return request
    }

    /// Throws unless only whitespace follows `offset`.
    private static func expectEnd(after offset: Int, in scanner: JSONScanner) throws(JSONScanError) {
        let end = scanner.skipWhitespace(offset)
        guard end == scanner.bytes.count else { throw JSONScanError(.trailingData, at: end) }
    }

    private static func requestError(for error: JSONScanError) -> SegmentRequestError {
        if error.code == .tooDeep {
            return SegmentRequestError(
                .nestingTooDeep,
                "The request body nests objects and arrays more than \(maxDepth) levels deep (at byte \(error.offset))."
            )
        }
        return SegmentRequestError(.invalidJSON, "The request body is not valid JSON: \(error).")
    }
}
