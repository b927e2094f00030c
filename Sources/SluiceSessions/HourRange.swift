import SluiceCore

/// A half-open run of whole UTC hours, `[lower, upper)`.
public struct HourRange: Sendable, Hashable, CustomStringConvertible {
    /// The first hour of the range.
    public let lower: UTCHour
    /// The hour just after the range.
    public let upper: UTCHour

    /// - Precondition: `lower < upper`.
    public init(_ lower: UTCHour, _ upper: UTCHour) {
        precondition(lower < upper, "an hour range holds at least one hour")
        self.lower = lower
        self.upper = upper
    }

    /// The range of the one hour `hour`.
    public init(hour: UTCHour) {
        self.init(hour, hour.adding(hours: 1))
    }

    /// The number of hours in the range.
    public var count: Int { Int(upper.unixHour - lower.unixHour) }

    /// The range's hours, in order.
    public var hours: [UTCHour] { (lower.unixHour..<upper.unixHour).map(UTCHour.init(unixHour:)) }

    /// The first instant of the range.
    public var start: Timestamp { lower.start }
    /// The first instant after the range.
    public var end: Timestamp { upper.start }

    public func contains(_ hour: UTCHour) -> Bool { lower <= hour && hour < upper }

    /// Sorted, merged ranges covering exactly `hours`: hours next to each other (less than an hour apart)
    /// fall in one range, any gap starts another.
    public static func merging(_ hours: some Sequence<UTCHour>) -> [HourRange] {
        var ranges: [HourRange] = []
        for hour in Set(hours).sorted() {
            if let last = ranges.last, last.upper == hour {
                ranges[ranges.count - 1] = HourRange(last.lower, hour.adding(hours: 1))
            } else {
                ranges.append(HourRange(hour: hour))
            }
        }
        return ranges
    }

    /// The range cut at UTC midnights into pieces of at most one day each, in order; a range inside one day
    /// is returned whole.
    public var days: [HourRange] {
        var pieces: [HourRange] = []
        var from = lower
        while from < upper {
            let midnight = UTCHour(startOf: from.day.adding(days: 1))
            let to = min(midnight, upper)
            pieces.append(HourRange(from, to))
            from = to
        }
        return pieces
    }

    /// `[2026-11-01T10:00:00Z, 2026-11-01T12:00:00Z)`.
    public var description: String { "[\(lower), \(upper))" }
}
