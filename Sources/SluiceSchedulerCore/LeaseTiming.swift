/// How a holder keeps its lease: the timeout the database grants, and how often the holder renews it.
///
/// The renewal period is a third of the timeout, so two renewals in a row can be late or fail (a slow
/// statement, a short network hiccup) before the lease lapses. Renewing at the timeout itself is the classic
/// bug (River fixed it in its elector, riverqueue/river#217): statements are not instantaneous, and a
/// healthy holder then loses its lease now and again.
public struct LeaseTiming: Sendable, Equatable {
    /// How long a lease lasts from its last acquisition or renewal, by the database's clock.
    public let timeout: Duration

    public init(timeout: Duration) {
        precondition(timeout > .zero, "a lease timeout must be positive")
        self.timeout = timeout
    }

    /// How often the holder renews while its job runs.
    public var renewalPeriod: Duration { timeout / 3 }

    /// Whether a holder whose last successful renewal was `elapsed` ago (by its own monotonic clock) must
    /// assume the lease is gone: once a whole timeout has passed, another holder may have taken it.
    public func mustAssumeLost(sinceLastRenewal elapsed: Duration) -> Bool { elapsed >= timeout }
}
