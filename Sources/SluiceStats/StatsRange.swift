import SluiceCore

/// The days a query covers: `from` through `to`, both included, in UTC.
package struct StatsRange: Sendable, Equatable {
    package let from: CalendarDay
    package let to: CalendarDay

    /// Five years, leap days included: the longest range a query may ask for.
    package static let maximumDays = 5 * 365 + 2

    package init(from: CalendarDay, to: CalendarDay) {
        precondition(from <= to, "a range starts no later than it ends")
        self.from = from
        self.to = to
    }

    /// The number of days covered.
    package var days: Int { Int(to.unixDay - from.unixDay) + 1 }

    /// Midnight UTC at the start of `from`.
    package var start: Timestamp { from.start }
    /// Midnight UTC after `to`: the range is `start ..< end`.
    package var end: Timestamp { to.adding(days: 1).start }

    /// The buckets of a timeseries over the range, as bucket numbers (days or hours since 1970-01-01 UTC).
    package func buckets(_ interval: StatsInterval) -> ClosedRange<Int64> {
        let perDay = 86_400 / interval.seconds
        return from.unixDay * perDay...(to.unixDay + 1) * perDay - 1
    }
}
