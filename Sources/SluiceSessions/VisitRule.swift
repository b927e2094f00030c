// SluiceSessions: the rules of visits without I/O — when an event continues a visit, and which span of time
// must be derived again after the events of some hours changed. The sessions job (SluiceSessionsJob) turns
// them into SQL.

import SluiceCore

/// When an event continues a person's visit: it comes at most `maximumGap` after the visit's last event
/// (30 minutes, as Plausible and Umami count: an event exactly 30 minutes 0 seconds later still joins).
public struct VisitRule: Sendable, Equatable {
    /// The longest pause inside a visit, in microseconds.
    public let maximumGapMicroseconds: Int64

    /// The rule of Sluice's dashboards: 30 minutes.
    public static let standard = VisitRule(maximumGapMicroseconds: 30 * 60 * 1_000_000)

    /// Visits at least this long (a day) are found through their own small index
    /// (`sessions_project_long`, whose predicate is `duration_us >= 86400000000`), so that the search for the
    /// visits overlapping a time range can bound its scan to a day before the range. Change both together.
    public static let longVisitMicroseconds: Int64 = 86_400_000_000

    public init(maximumGapMicroseconds: Int64) {
        precondition(maximumGapMicroseconds > 0, "a visit rule needs a positive gap")
        self.maximumGapMicroseconds = maximumGapMicroseconds
    }

    /// Whether an event at `next` joins the visit whose last event was at `last` (`next` not before `last`).
    public func continues(after last: Timestamp, with next: Timestamp) -> Bool {
        next.unixMicroseconds - last.unixMicroseconds <= maximumGapMicroseconds
    }

    /// The gap as PostgreSQL interval text, e.g. `1800000000 microseconds`.
    public var intervalText: String { "\(maximumGapMicroseconds) microseconds" }
}
