import SluiceCore

/// One accepted event: the row to load and what enrichment needs to fill the row's extracted columns.
public struct SegmentEvent: Sendable {
    /// The event's position in the `batch` array (0 for a single-event call).
    package var index: Int
    /// The row with every column the request itself determines; the enrichment columns (page, referrer,
    /// UTM, country, browser, OS, device, bot, IP) are left empty for enrichment to set from ``hints``.
    public var row: EventRow
    /// What the event says about its page, campaign, client and address, for enrichment.
    public var hints: EventHints

    package init(index: Int, row: EventRow, hints: EventHints) {
        self.index = index
        self.row = row
        self.hints = hints
    }
}
