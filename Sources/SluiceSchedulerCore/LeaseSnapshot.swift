import SluiceCore

/// What the database says about one job's lease at one instant, all by the database's clock (`now()`), so
/// that no node's clock has to agree with another's.
public struct LeaseSnapshot: Sendable, Equatable {
    /// Who holds the lease, or nil when it was released (or never taken).
    public var holder: String?
    /// When the lease lapses unless renewed; a lapsed lease may be taken by anyone.
    public var expiresAt: Timestamp
    /// When the job's last run started, on any node; nil if it never ran.
    public var lastStartedAt: Timestamp?
    /// The database's clock when this was read.
    public var now: Timestamp

    public init(holder: String?, expiresAt: Timestamp, lastStartedAt: Timestamp?, now: Timestamp) {
        self.holder = holder
        self.expiresAt = expiresAt
        self.lastStartedAt = lastStartedAt
        self.now = now
    }

    /// Whether someone holds a lease that has not lapsed.
    public var isHeld: Bool { holder != nil && expiresAt > now }
}

extension Timestamp {
    /// The instant `duration` later.
    public static func + (lhs: Timestamp, rhs: Duration) -> Timestamp {
        Timestamp(unixMicroseconds: lhs.unixMicroseconds + rhs.microseconds)
    }

    /// The duration from `rhs` to `lhs` (negative when `lhs` is earlier).
    public static func - (lhs: Timestamp, rhs: Timestamp) -> Duration {
        .microseconds(lhs.unixMicroseconds - rhs.unixMicroseconds)
    }
}
