import Logging
import SluicePostgres
import SluiceSchedulerCore

/// What a run of a job gets: its own connection, its lease, and the means to fence its transactions.
///
/// Belongs to the run's thread (it holds a `PostgresConnection`, which is not `Sendable`).
public final class JobContext {
    /// A connection of the run's own, open for the whole run.
    public let connection: PostgresConnection
    public let logger: Logger
    /// The lease the run holds.
    public let lease: JobLease
    let signals: RunSignals
    let pacer: JobPacer

    package init(
        connection: PostgresConnection, lease: JobLease, signals: RunSignals, pacer: JobPacer = JobPacer(nil),
        logger: Logger
    ) {
        self.connection = connection
        self.lease = lease
        self.signals = signals
        self.pacer = pacer
        self.logger = logger
    }

    /// The job's name.
    public var job: String { lease.job }
    /// The holder running it, e.g. `default@web-1:4242`.
    public var node: String { lease.holder }

    /// Whether the run should stop at the next point where it can: the server is shutting down, or the
    /// heartbeat found the lease gone. Work done so far stays; the next run carries on.
    public var shouldStop: Bool { signals.stopRequested || signals.leaseLost }

    /// Yields to a saturated foreground between two units of work: while the process's loader is busy all the
    /// time, pauses for what the run's `JobPacing` says the work since the last call owes (the run then works
    /// about the pacing's share of the time), ending the pause early once the loader eases or the run should
    /// stop. Returns at once otherwise, and always in `sluice jobs run`. Call it where no transaction is open:
    /// a pause inside one would hold its locks.
    public func pace() {
        pacer.pace(shouldStop: { shouldStop })
    }

    /// How long this run has paused in ``pace()`` so far.
    public var yielded: Duration { pacer.yielded }

    /// Throws when the heartbeat found the lease gone, so a job can stop before doing work it could not commit.
    /// - Throws: `JobError` (`.leaseLost`).
    public func checkLease() throws(JobError) {
        if signals.leaseLost {
            throw JobError(.leaseLost, "\(job): the lease was lost (taken over or expired); this run stops")
        }
    }

    /// Checks, inside the caller's open transaction on `connection`, that this run still holds its lease, and
    /// renews it; call it as the last statement before `COMMIT`.
    ///
    /// It updates the lease row where holder *and* token match, which keeps that row locked until the
    /// transaction ends: from here to the commit nobody can take the lease over, so what commits was written
    /// under a lease that was ours. It also sets `idle_in_transaction_session_timeout` for the rest of the
    /// transaction to the lease timeout, so a process that stalls between fence and commit (paused, cut
    /// off) has its transaction ended by PostgreSQL and cannot block a takeover for longer than that.
    ///
    /// - Throws: `JobError` (`.leaseLost`) when the lease is no longer this run's (the caller's transaction
    ///   must then roll back, as `PostgresConnection.transaction` does with any error thrown in it);
    ///   `JobError` (`.notInTransaction`) when no transaction is open; `PostgresError` from the database.
    public func fence(_ connection: PostgresConnection) throws {
        guard connection.isInTransaction else {
            throw JobError(.notInTransaction, "\(job): fence was called outside a transaction; it protects nothing")
        }
        try connection.query(
            "SELECT set_config('idle_in_transaction_session_timeout', $1, true)",
            [String(lease.timing.timeout.milliseconds)]
        )
        guard try JobLeaseStore.renew(lease, on: connection) else {
            throw JobError(
                .leaseLost,
                "\(job): the lease of \(node) (token \(lease.token)) was taken over or released; "
                    + "this transaction was rolled back"
            )
        }
    }

    /// Runs `body` in a transaction on the run's connection, fenced: the lease is checked just before the
    /// commit, and nothing of `body` commits when it was lost.
    /// - Throws: what `body` throws, or `fence`'s errors; the transaction is rolled back either way.
    @discardableResult
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try connection.transaction { connection in
            let value = try body(connection)
            try fence(connection)
            return value
        }
    }
}
