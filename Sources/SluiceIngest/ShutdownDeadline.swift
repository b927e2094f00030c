import Synchronization

/// The one instant by which a graceful shutdown must be done, fixed when it begins: the HTTP connections still
/// open then are closed, and the loader stops draining the spool.
///
/// Graceful shutdown has phases (connections finish their requests, the ring is drained into the spool, the
/// loader copies what is left), and giving each phase the full `--shutdown-deadline` would let a slow client and
/// a slow database add up. Whoever notices the start first (the first connection told to quiesce, else the
/// pipeline) calls ``begin()``; every later call returns the same instant. Thread-safe.
package final class ShutdownDeadline: Sendable {
    /// How long after its start a shutdown may take.
    package let allowance: Duration
    private let instant = Mutex<ContinuousClock.Instant?>(nil)

    package init(allowance: Duration) {
        self.allowance = allowance
    }

    /// The deadline: now plus ``allowance`` on the first call, the same instant on every later one.
    @discardableResult
    package func begin() -> ContinuousClock.Instant {
        instant.withLock { instant in
            if let instant { return instant }
            let deadline = ContinuousClock.now + allowance
            instant = deadline
            return deadline
        }
    }

    /// The deadline if shutdown has begun, else nil.
    package var deadline: ContinuousClock.Instant? {
        instant.withLock { $0 }
    }
}
