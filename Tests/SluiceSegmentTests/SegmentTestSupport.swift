import Foundation
import SluiceCore
import Testing

@testable import SluiceSegment

/// The server receive time the tests decode with.
let testReceivedAt = Timestamp(iso8601: "2026-11-23T12:00:00Z")!

/// `text` parsed by Foundation as a JSON object, or `nil` when it is not one.
func jsonObject(_ text: String) -> [String: Any]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
}

/// Decodes `body` for project 7, naming generated message IDs `generated-1`, `generated-2`, …
///
/// Also checks what must hold for every decoded body: each stored JSON text (`properties`, `traits`,
/// `context`) parses with Foundation as an object, no stored context holds `ip`, every row carries the
/// project and `receivedAt`, and accepted and rejected indexes are distinct and ascending.
func decode(
    _ body: [UInt8], call: SegmentCall = .batch, limits: SegmentLimits = SegmentLimits(),
    receivedAt: Timestamp = testReceivedAt, sourceLocation: SourceLocation = #_sourceLocation
) throws(SegmentRequestError) -> SegmentBatch {
    var generated = 0
    let batch = try SegmentDecoder(limits: limits).decode(
        body, call: call, projectID: 7, receivedAt: receivedAt
    ) {
        generated += 1
        return "generated-\(generated)"
    }
    for event in batch.events {
        let row = event.row
        #expect(row.projectID == 7, sourceLocation: sourceLocation)
        #expect(row.receivedAt == receivedAt, sourceLocation: sourceLocation)
        for text in [row.properties, row.traits, row.context].compactMap({ $0 }) {
            #expect(
                jsonObject(text) != nil, "stored JSON must parse as an object: \(text)", sourceLocation: sourceLocation)
        }
        if let context = row.context {
            #expect(
                jsonObject(context)?["ip"] == nil, "context must not store ip: \(context)",
                sourceLocation: sourceLocation)
        }
    }
    let indexes = batch.events.map(\.index) + batch.rejected.map(\.index)
    #expect(Set(indexes).count == indexes.count, sourceLocation: sourceLocation)
    #expect(batch.events.map(\.index) == batch.events.map(\.index).sorted(), sourceLocation: sourceLocation)
    #expect(batch.rejected.map(\.index) == batch.rejected.map(\.index).sorted(), sourceLocation: sourceLocation)
    return batch
}

/// Decodes the UTF-8 of `body`; see ``decode(_:call:limits:receivedAt:sourceLocation:)-([UInt8],_,_,_,_)``.
func decode(
    _ body: String, call: SegmentCall = .batch, limits: SegmentLimits = SegmentLimits(),
    receivedAt: Timestamp = testReceivedAt, sourceLocation: SourceLocation = #_sourceLocation
) throws(SegmentRequestError) -> SegmentBatch {
    try decode(Array(body.utf8), call: call, limits: limits, receivedAt: receivedAt, sourceLocation: sourceLocation)
}

/// A `/v1/batch` body holding `events` (each a JSON text) and the given extra top-level members.
func batchBody(_ events: [String], extra: String = "") -> String {
    #"{"batch":["# + events.joined(separator: ",") + "]" + (extra.isEmpty ? "" : "," + extra) + "}"
}

/// The request error for `body`, or `nil` when it decodes.
func requestError(_ body: String, call: SegmentCall = .batch) -> SegmentRequestError? {
    do throws(SegmentRequestError) {
        _ = try decode(body, call: call)
        return nil
    } catch {
        return error
    }
}

/// The one accepted event of a batch holding only `event`; fails the test when it is rejected.
func accepted(
    _ event: String, extra: String = "", receivedAt: Timestamp = testReceivedAt,
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> SegmentEvent {
    let batch = try decode(batchBody([event], extra: extra), receivedAt: receivedAt, sourceLocation: sourceLocation)
    #expect(batch.rejected.isEmpty, "unexpected rejection: \(batch.rejected)", sourceLocation: sourceLocation)
    return try #require(batch.events.first, sourceLocation: sourceLocation)
}

/// The rejection reason of a batch holding only `event`, or `nil` when the event is accepted.
func rejection(
    _ event: String, extra: String = "", limits: SegmentLimits = SegmentLimits(),
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> String? {
    let batch = try decode(batchBody([event], extra: extra), limits: limits, sourceLocation: sourceLocation)
    #expect(batch.events.count + batch.rejected.count == 1, sourceLocation: sourceLocation)
    if let rejected = batch.rejected.first {
        #expect(rejected.index == 0, sourceLocation: sourceLocation)
    }
    return batch.rejected.first?.reason
}
