/// One event of a request that was refused, while the other events of the request are kept.
public struct SegmentRejection: Sendable, Equatable {
    /// The event's position in the `batch` array (0 for a single-event call).
    package var index: Int
    /// One short English sentence saying what is wrong, fit to show to the sender.
    package var reason: String

    package init(index: Int, reason: String) {
        self.index = index
        self.reason = reason
    }
}
