import SluiceCore

/// When a job is due and when a scheduler should next try to take its lease.
///
/// A job is due one interval after its last run *started*, on whichever node ran it: the interval is the
/// cluster's, not each server's, so two servers with a one-hour interval run the job once an hour between
/// them, and a run from cron counts too. A run that failed counts as well, so a failing job is retried on the
/// next interval rather than in a tight loop. The database decides atomically (the acquisition checks the
/// same rule in SQL); this type only decides when asking again is worthwhile.
public struct JobTimetable: Sendable, Equatable {
    /// How often the job runs.
    public var interval: Duration
    /// The longest a scheduler waits between two looks at a lease, so a run started elsewhere (cron) or a
    /// changed interval on another node is noticed within this much time.
    public var longestWait: Duration
    /// The shortest wait, so that a lease that looks free but could not be taken (another node was taking it
    /// at that moment) is not asked for again in a tight loop.
    public var shortestWait: Duration

    public init(interval: Duration, longestWait: Duration = .seconds(60), shortestWait: Duration = .milliseconds(250)) {
        self.interval = interval
        self.longestWait = longestWait
        self.shortestWait = shortestWait
    }

    /// When the job is next due: one interval after the last start, or now if it never ran.
    public func dueAt(_ lease: LeaseSnapshot) -> Timestamp {
        lease.lastStartedAt.map { $0 + interval } ?? lease.now
    }

    /// Whether a run may start now: the job is due and nobody holds its lease.
    public func isDue(_ lease: LeaseSnapshot) -> Bool {
        !lease.isHeld && dueAt(lease) <= lease.now
    }

    /// How long after `lease.now` to try again: when the job is due, and not before the current holder's lease
    /// lapses (a holder that renews pushes that further, and the next look sees it); clamped to
    /// `shortestWait...longestWait`.
    public func wait(after lease: LeaseSnapshot) -> Duration {
        var at = dueAt(lease)
        if lease.isHeld { at = max(at, lease.expiresAt) }
        return min(max(at - lease.now, shortestWait), longestWait)
    }
}
