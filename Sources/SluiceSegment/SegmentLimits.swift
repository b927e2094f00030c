/// The per-request and per-event limits the Segment decoder enforces (Segment's own limits by default).
public struct SegmentLimits: Sendable {
    /// The largest accepted event: the byte length of one event's JSON object text as it stands in the body.
    /// Larger events are rejected one by one; the rest of the batch is kept.
    package var maxEventBytes: Int
    /// The most items a `/v1/batch` body may hold; more fail the whole request
    /// (``SegmentRequestError/Code/tooManyEvents``).
    package var maxBatchEvents: Int
    /// The longest accepted `messageId`, in Unicode characters (scalars).
    package var maxMessageIDLength: Int
    /// How far past `receivedAt` an event's corrected time may lie; a later time is replaced by `receivedAt`
    /// and flagged in the event's context.
    package var maxFutureSeconds: Int64

    /// Limits with Segment's values unless given: 32 KB an event, 2,500 events a batch, 100-character messageIds,
    /// 24 hours into the future.
    public init(
        maxEventBytes: Int = 32 * 1024, maxBatchEvents: Int = 2_500, maxMessageIDLength: Int = 100,
        maxFutureSeconds: Int64 = 86_400
    ) {
        self.maxEventBytes = maxEventBytes
        self.maxBatchEvents = maxBatchEvents
        self.maxMessageIDLength = maxMessageIDLength
        self.maxFutureSeconds = maxFutureSeconds
    }
}
