/// An hour of UTC: the bucket of the hourly rollups, and the unit in which changed rows are marked.
public struct UTCHour: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Hours since 1970-01-01T00:00:00Z; negative before it.
    public let unixHour: Int64

    /// Microseconds in an hour.
    public static let microseconds: Int64 = 3_600_000_000

    public init(unixHour: Int64) {
        self.unixHour = unixHour
    }

    /// The hour `timestamp` falls in (floor division, so instants before 1970 land in the right hour).
    public init(_ timestamp: Timestamp) {
        let value = timestamp.unixMicroseconds
        unixHour = value >= 0 ? value / Self.microseconds : (value - Self.microseconds + 1) / Self.microseconds
    }

    /// The first hour of `day`.
    public init(startOf day: CalendarDay) {
        unixHour = day.unixDay * 24
    }

    /// The hour's first instant.
    public var start: Timestamp { Timestamp(unixMicroseconds: unixHour * Self.microseconds) }

    /// The UTC day the hour belongs to.
    public var day: CalendarDay { CalendarDay(start) }

    public func adding(hours: Int64) -> UTCHour { UTCHour(unixHour: unixHour + hours) }

    /// `2026-11-01T13:00:00Z`, which PostgreSQL reads as a `timestamptz`.
    public var description: String { start.iso8601String }

    public static func < (lhs: UTCHour, rhs: UTCHour) -> Bool { lhs.unixHour < rhs.unixHour }
}
