import Dispatch
import Synchronization

/// The one instant by which a graceful shutdown must be done, fixed when it begins: the HTTP connections still
/// open then are closed, and the loader stops draining the spool.
///
/// Graceful shutdown has phases (connections finish their requests, the ring is drained into the spool, the
/// loader copies what is left), and giving each phase the full `--shutdown-deadline` would let a slow client and
/// a slow database add up. Whoever notices the start first (the first connection told to quiesce, else the
/// pipeline) calls ``begin()``; every later call returns the same instant. Thread-safe.
///
/// It also ends the waits of request handlers for their acknowledgements (``SpoolAcknowledgement``): those
/// still open at the deadline are answered 503, so a handler stuck behind an fsync that never returns cannot
/// keep the HTTP server, and with it the process, from stopping.
package final class ShutdownDeadline: Sendable {
    /// How long after its start a shutdown may take.
    package let allowance: Duration
    private let instant = Mutex<ContinuousClock.Instant?>(nil)

    private struct Waits {
        var open: [ObjectIdentifier: SpoolAcknowledgement] = [:]
        var passed = false
    }
    private let waits = Mutex(Waits())

    package init(allowance: Duration) {
        self.allowance = allowance
    }

    /// The deadline: now plus ``allowance`` on the first call, the same instant on every later one.
    @discardableResult
    package func begin() -> ContinuousClock.Instant {
        let (deadline, isFirst) = instant.withLock { instant in
            if let instant { return (instant, false) }
            let deadline = ContinuousClock.now + allowance
            instant = deadline
            return (deadline, true)
        }
        if isFirst {
            let seconds = Double(allowance.components.seconds) + Double(allowance.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in abandonOpenWaits() }
        }
        return deadline
    }

    /// Registers a handler's wait, to be answered 503 at the deadline if still open; at once if it has passed.
    func abandonAtDeadline(_ acknowledgement: SpoolAcknowledgement) {
        let passed = waits.withLock { waits in
            if !waits.passed { waits.open[ObjectIdentifier(acknowledgement)] = acknowledgement }
            return waits.passed
        }
        if passed { acknowledgement.resume(returning: .failure(SpoolAcknowledgement.abandoned)) }
    }

    /// Removes a wait that has been answered.
    func forget(_ acknowledgement: SpoolAcknowledgement) {
        _ = waits.withLock { $0.open.removeValue(forKey: ObjectIdentifier(acknowledgement)) }
    }

    private func abandonOpenWaits() {
        let open = waits.withLock { waits in
            waits.passed = true
            defer { waits.open.removeAll() }
            return Array(waits.open.values)
        }
        for acknowledgement in open { acknowledgement.resume(returning: .failure(SpoolAcknowledgement.abandoned)) }
    }

    /// The deadline if shutdown has begun, else nil.
    package var deadline: ContinuousClock.Instant? {
        instant.withLock { $0 }
    }
}
