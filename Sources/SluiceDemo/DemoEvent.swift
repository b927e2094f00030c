import SluiceCore
import SluiceWorkload

/// One event of the demo traffic: what it is (for tests and progress) and its Segment JSON (for ingest).
public struct DemoEvent: Sendable {
    public enum Kind: String, Sendable {
        case page, track
    }

    public let kind: Kind
    /// The `track` event's name; nil for a page view.
    public let name: String?
    public let messageID: String
    /// The person as the stats count them: the userId, else the anonymousId.
    public let personID: String
    public let timestamp: Timestamp
    public let path: String
    /// The host of the visit's external referrer, as ingest extracts it; nil for direct visits.
    public let referrerHost: String?
    public let campaign: DemoCampaign?
    public let country: String
    public let browser: String
    public let deviceType: String
    /// For `Experiment Viewed`: the variation shown (its index).
    public let variation: Int?
    /// The event object's JSON text, as a Segment SDK (analytics.js) sends it.
    public let json: [UInt8]

    /// A `/v1/batch` request body (Segment's batch format) holding `events`.
    public static func batch(_ events: some Collection<DemoEvent>) -> [UInt8] {
        var body: [UInt8] = Array(#"{"batch":["#.utf8)
        body.reserveCapacity(events.reduce(16) { $0 + $1.json.count + 1 })
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event.json)
        }
        body.append(contentsOf: "]}".utf8)
        return body
    }
}
