#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An instant in UTC with microsecond precision, PostgreSQL's `timestamptz` resolution.
///
/// Stored as microseconds since the Unix epoch; ``postgresMicroseconds`` converts to PostgreSQL's own epoch
/// (2000-01-01 UTC), which the binary wire format uses.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Microseconds since 1970-01-01T00:00:00Z; negative before it.
    public var unixMicroseconds: Int64

    public init(unixMicroseconds: Int64) {
        self.unixMicroseconds = unixMicroseconds
    }

    public init(unixSeconds: Double) {
        self.unixMicroseconds = Int64((unixSeconds * 1_000_000).rounded())
    }

    /// Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01T00:00:00Z.
    public static let postgresEpochOffset: Int64 = 946_684_800_000_000

    /// Microseconds since 2000-01-01T00:00:00Z, as `timestamptz` travels in binary COPY.
    public var postgresMicroseconds: Int64 { unixMicroseconds - Self.postgresEpochOffset }

    /// The UTC day this instant falls on, as days since the Unix epoch (floor division, so instants before
    /// 1970 land on the right day).
    public var unixDay: Int64 {
        let perDay: Int64 = 86_400_000_000
        return unixMicroseconds >= 0 ? unixMicroseconds / perDay : (unixMicroseconds - perDay + 1) / perDay
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.unixMicroseconds < rhs.unixMicroseconds }
}

extension Timestamp {
    /// The current time by the system's real-time clock.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(unixMicroseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1000)
    }
}
