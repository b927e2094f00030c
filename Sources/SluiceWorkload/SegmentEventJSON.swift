import SluiceCore

/// Segment Tracking API JSON for synthetic rows: what an SDK would have sent to produce each row.
///
/// The row's `context` (page, campaign, user agent, library, locale …) becomes the event's `context`,
/// `properties` and `traits` go where the call type puts them, and `timestamp`/`sentAt` are ISO-8601, so
/// ingest decodes, enriches and stores an equivalent row. For load tests and `sluice bench ingest`.
public enum SegmentEventJSON {
    /// One event object's JSON text.
    public static func event(_ row: EventRow) -> [UInt8] {
        var writer = JSONWriter(capacity: 768)
        write(row, into: &writer)
        return writer.utf8
    }

    /// A `/v1/batch` body holding `rows`.
    public static func batch(_ rows: some Collection<EventRow>) -> [UInt8] {
        var writer = JSONWriter(capacity: 700 * rows.count + 16)
        writer.beginObject()
        writer.beginArray("batch")
        for row in rows { write(row, into: &writer) }
        writer.endArray()
        writer.endObject()
        return writer.utf8
    }

    private static func write(_ row: EventRow, into writer: inout JSONWriter) {
        writer.beginObject()
        writer.string("type", row.type.rawValue)
        writer.string("messageId", row.messageID)
        if let userID = row.userID { writer.string("userId", userID) }
        if let anonymousID = row.anonymousID { writer.string("anonymousId", anonymousID) }
        switch row.type {
        case .track:
            writer.string("event", row.event ?? "")
        case .page, .screen:
            if let name = row.event { writer.string("name", name) }
        case .group:
            if let groupID = row.groupID { writer.string("groupId", groupID) }
        case .alias:
            if let previousID = row.previousID { writer.string("previousId", previousID) }
        case .identify:
            break
        }
        if let properties = row.properties { writer.rawJSON("properties", properties) }
        if let traits = row.traits { writer.rawJSON("traits", traits) }
        if let context = row.context { writer.rawJSON("context", context) }
        writer.string("timestamp", row.timestamp.iso8601(fractionDigits: 3))
        if let sentAt = row.sentAt { writer.string("sentAt", sentAt.iso8601(fractionDigits: 3)) }
        writer.endObject()
    }
}
