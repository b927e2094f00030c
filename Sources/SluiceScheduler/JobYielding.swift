import Foundation
import SluiceCore
import SluiceSchedulerCore

/// How the jobs of a process yield to its foreground work: whether that work is saturated right now, and the
/// share of time a job may work while it is (`JobPacing`). In `sluice serve` the foreground is the loader;
/// `sluice jobs run` has none and never yields.
public struct JobYielding: Sendable {
    public var pacing: JobPacing
    /// Whether the foreground is saturated now; called from the jobs' threads, often, so it must be cheap.
    public var isSaturated: @Sendable () -> Bool

    public init(pacing: JobPacing, isSaturated: @escaping @Sendable () -> Bool) {
        self.pacing = pacing
        self.isSaturated = isSaturated
    }
}

/// Paces one run of a job (`JobContext.pace()`): measures the work since the last pause and, while the
/// foreground is saturated, sleeps what `JobPacing` says is owed, in slices, ending early once the foreground
/// eases or the run is asked to stop.
///
/// Belongs to the run's thread. The clock and the sleep are parameters so that the rule's bookkeeping can be
/// checked without waiting.
package final class JobPacer {
    package let yielding: JobYielding?
    private let now: () -> ContinuousClock.Instant
    private let sleep: (Duration) -> Void
    /// The longest single sleep: how soon an eased foreground or a stop request is noticed.
    static let slice = Duration.milliseconds(50)
    /// When the current stretch of work began: the run's start, or the end of the last pace.
    private var workingSince: ContinuousClock.Instant
    /// Time spent pausing so far in this run.
    package private(set) var yielded = Duration.zero

    package init(
        _ yielding: JobYielding?, now: @escaping () -> ContinuousClock.Instant = { .now },
        sleep: @escaping (Duration) -> Void = JobPacer.threadSleep
    ) {
        self.yielding = yielding
        self.now = now
        self.sleep = sleep
        self.workingSince = now()
    }

    /// Pauses as owed for the work since the last call (or the start), unless the foreground is not saturated
    /// or `shouldStop` says to stop.
    package func pace(shouldStop: () -> Bool) {
        guard let yielding, yielding.pacing.yields else { return }
        defer { workingSince = now() }
        guard yielding.isSaturated() else { return }
        var owed = yielding.pacing.pause(after: now() - workingSince)
        while owed > .zero && !shouldStop() && yielding.isSaturated() {
            let step = min(owed, Self.slice)
            let before = now()
            sleep(step)
            let slept = now() - before
            yielded += slept
            owed -= max(slept, step)
        }
    }

    package static func threadSleep(_ duration: Duration) {
        Thread.sleep(forTimeInterval: duration.inSeconds)
    }
}
