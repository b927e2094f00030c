import SluiceCore

/// An aligned block of days whose per-value rollup rows `analytics.rollup_span_dims` keeps: `length` days
/// (2, 4, 8 or 16) from `firstDay`, whose day number since 1970-01-01 is a multiple of `length`.
///
/// A range's breakdown unions one sketch per value and piece of the range, and a dense sketch costs the
/// same to union whatever it holds: 30 daily rows per value cost seven times what a 30-day range's few
/// blocks do (``cover(from:to:)``). Aligned blocks nest: each is the union of its two halves, and each day
/// lies in exactly one block of each length (``containing(_:)``), so a changed day rewrites four blocks.
public struct RollupSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Days in the block: a power of two from 2 to 16.
    public let length: Int
    /// The block's first day; its `unixDay` is a multiple of `length`.
    public let firstDay: CalendarDay

    /// The block lengths kept, shortest first. A block of 32 days would never lie inside a 30-day range, and
    /// without it a 30-day range still splits into at most eight pieces (five on average over the offsets).
    public static let lengths = [2, 4, 8, 16]

    /// The block of `length` days (one of ``lengths``) that holds `day`.
    public init(length: Int, holding day: CalendarDay) {
        precondition(Self.lengths.contains(length), "a span is 2, 4, 8 or 16 days long")
        let span = Int64(length)
        // Floor division, so that days before 1970 align the same way.
        let start = day.unixDay >= 0 ? day.unixDay / span * span : -((-day.unixDay + span - 1) / span) * span
        self.length = length
        self.firstDay = CalendarDay(unixDay: start)
    }

    /// The last day of the block.
    public var lastDay: CalendarDay { firstDay.adding(days: length - 1) }

    /// The two blocks of half the length that make this one, or `nil` for a block of two days (made of days).
    public var halves: (RollupSpan, RollupSpan)? {
        guard length > 2 else { return nil }
        return (
            RollupSpan(length: length / 2, holding: firstDay),
            RollupSpan(length: length / 2, holding: firstDay.adding(days: length / 2))
        )
    }

    /// The blocks that hold `day`, one of each length, shortest first: those to rewrite, in this order (each
    /// is made from its halves), when the day's rows change.
    public static func containing(_ day: CalendarDay) -> [RollupSpan] {
        lengths.map { RollupSpan(length: $0, holding: day) }
    }

    /// The blocks holding any of `days`, each once, shortest first (then by first day): the order in which
    /// rewriting them leaves every block the union of its halves as they are after the rewrite.
    public static func containing(_ days: some Sequence<CalendarDay>) -> [RollupSpan] {
        Set(days.flatMap { containing($0) }).sorted()
    }

    /// The range `from` through `to` (both included, `from <= to`) as the fewest aligned pieces, taken from
    /// the left: the longest block that starts at the next uncovered day and ends within the range, or the
    /// single day when none does. The pieces are disjoint and cover the range exactly, so summing their rows
    /// counts every day once; a 30-day range is at most eight pieces.
    public static func cover(from: CalendarDay, to: CalendarDay) -> (days: [CalendarDay], spans: [RollupSpan]) {
        precondition(from <= to, "a range starts no later than it ends")
        var days: [CalendarDay] = []
        var spans: [RollupSpan] = []
        var next = from
        while next <= to {
            let fitting = lengths.reversed().lazy
                .map { RollupSpan(length: $0, holding: next) }
                .first { $0.firstDay == next && $0.lastDay <= to }
            if let fitting {
                spans.append(fitting)
                next = fitting.lastDay.adding(days: 1)
            } else {
                days.append(next)
                next = next.adding(days: 1)
            }
        }
        return (days, spans)
    }

    public static func < (lhs: RollupSpan, rhs: RollupSpan) -> Bool {
        (lhs.length, lhs.firstDay.unixDay) < (rhs.length, rhs.firstDay.unixDay)
    }

    /// `2026-11-16+16`: the first day and the length.
    public var description: String { "\(firstDay)+\(length)" }
}
