import SluiceCore

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
    /// The partitions kept: a corrected time before the first day of the window around `receivedAt` is
    /// replaced by `receivedAt` and flagged in the event's context, so no event reaches PostgreSQL with a time
    /// it would put in the default partition or could not store at all.
    package var partitionWindow: PartitionWindow

    /// Limits with Segment's values unless given: 32 KB an event, 2,500 events a batch, 100-character messageIds,
    /// 24 hours into the future; and no earlier than the standard partition window's 90 days back.
    public init(
        maxEventBytes: Int = 32 * 1024, maxBatchEvents: Int = 2_500, maxMessageIDLength: Int = 100,
        maxFutureSeconds: Int64 = 86_400, partitionWindow: PartitionWindow = .standard
    ) {
        self.maxEventBytes = maxEventBytes
        self.maxBatchEvents = maxBatchEvents
        self.maxMessageIDLength = maxMessageIDLength
        self.maxFutureSeconds = maxFutureSeconds
        self.partitionWindow = partitionWindow
    }
}
