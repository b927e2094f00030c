import Synchronization

/// Flags shared between a run's job thread, its heartbeat thread and the scheduler: whether the lease is
/// known to be lost, and whether the scheduler asked the run to stop (graceful shutdown).
///
/// Relaxed atomics suffice: each flag is a standalone fact that is only ever set, and nothing else is
/// published through it.
package final class RunSignals: Sendable {
    private let lost = Atomic<Bool>(false)
    private let stop = Atomic<Bool>(false)

    package init() {}

    package var leaseLost: Bool { lost.load(ordering: .relaxed) }
    package var stopRequested: Bool { stop.load(ordering: .relaxed) }

    package func markLeaseLost() { lost.store(true, ordering: .relaxed) }
    package func requestStop() { stop.store(true, ordering: .relaxed) }
}
