import Synchronization

/// A bound on the requests whose bodies are in memory at once (`--max-inflight-requests`): a request takes a
/// permit before it reads its body and returns it once its events are in the ring (with `--ack durable`, once
/// they are durable), so bodies, their inflated copies, decoded events and encoded tuples of at most this many
/// requests are alive together, whatever the number of connections.
///
/// A request that finds none free waits a bounded time (the 250 ms a full ring gets) and is then answered 503
/// with `Retry-After`; there is no queue to grow. One atomic counter; lock-free.
package final class RequestPermits: Sendable {
    /// The most permits out at once.
    package let limit: Int
    private let taken = Atomic<Int>(0)

    package init(limit: Int) {
        precondition(limit > 0, "at least one request must be able to run")
        self.limit = limit
    }

    /// Permits out now.
    package var inUse: Int { taken.load(ordering: .relaxed) }

    /// Takes a permit if one is free. Pair every `true` with one ``release()``.
    package func tryAcquire() -> Bool {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, actual) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            current = actual
        }
        return false
    }

    /// Takes a permit, polling every millisecond until `deadline`; false if none came free by then.
    package func acquire(until deadline: ContinuousClock.Instant) async -> Bool {
        while !tryAcquire() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return true
    }

    package func release() {
        let previous = taken.subtract(1, ordering: .acquiringAndReleasing).oldValue
        precondition(previous > 0, "a permit released that was not taken")
    }
}
