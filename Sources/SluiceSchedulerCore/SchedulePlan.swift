/// The scheduler loop's state, as a value: for each job, whether a run of it is in flight here, and if not,
/// when to look at its lease next. The loop asks it what to do; it does no I/O and reads no clock.
public struct SchedulePlan: Sendable, Equatable {
    /// One job's state.
    public enum Slot: Sendable, Equatable {
        /// No run here; look at the lease at this instant.
        case waiting(until: ContinuousClock.Instant)
        /// A run of the job is in flight on this node.
        case running
    }

    public private(set) var slots: [Slot]
    /// Set by `stop()`: no new runs start; the loop ends once nothing runs.
    public private(set) var isStopping = false

    /// Every job waiting until `start`, so each is looked at as soon as the loop begins.
    public init(jobCount: Int, start: ContinuousClock.Instant) {
        slots = Array(repeating: .waiting(until: start), count: jobCount)
    }

    /// The jobs whose look is due at `now`, in catalog order; none once stopping.
    public func due(at now: ContinuousClock.Instant) -> [Int] {
        guard !isStopping else { return [] }
        return slots.indices.filter {
            if case .waiting(let until) = slots[$0] { return until <= now }
            return false
        }
    }

    /// A run of job `index` started here.
    public mutating func started(_ index: Int) {
        slots[index] = .running
    }

    /// Job `index` is not running here (its run ended, or its lease could not be taken); look again at
    /// `instant`.
    public mutating func wait(_ index: Int, until instant: ContinuousClock.Instant) {
        slots[index] = .waiting(until: instant)
    }

    public mutating func stop() {
        isStopping = true
    }

    /// Whether a run is in flight on this node.
    public var isRunningAny: Bool { slots.contains(.running) }

    /// Whether the loop is done: stopping, and no run in flight.
    public var isFinished: Bool { isStopping && !isRunningAny }

    /// The earliest instant a waiting job needs a look, at most `latest` (the loop also wakes when a run
    /// ends or a stop is asked for); `latest` while stopping, since only run endings matter then.
    public func nextWake(latest: ContinuousClock.Instant) -> ContinuousClock.Instant {
        guard !isStopping else { return latest }
        var wake = latest
        for case .waiting(let until) in slots where until < wake { wake = until }
        return wake
    }
}
