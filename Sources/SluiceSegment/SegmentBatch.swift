/// What a decoded Tracking API request holds: the accepted events and the refused ones, in body order.
public struct SegmentBatch: Sendable {
    /// The top-level `writeKey` string of the body, if it has one (the other way to authenticate is HTTP Basic).
    package var writeKey: String?
    /// The events that passed validation, in ascending ``SegmentEvent/index`` order.
    public var events: [SegmentEvent]
    /// The events that did not, in ascending ``SegmentRejection/index`` order.
    public var rejected: [SegmentRejection]

    package init(writeKey: String? = nil, events: [SegmentEvent] = [], rejected: [SegmentRejection] = []) {
        self.writeKey = writeKey
        self.events = events
        self.rejected = rejected
    }
}
