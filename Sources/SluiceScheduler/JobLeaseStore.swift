import SluiceCore
import SluicePostgres
import SluiceSchedulerCore

/// The SQL of the leases in `sluice.job_leases` (migration 0006): take, renew, release, read.
///
/// One statement decides each question, by the database's clock, so two nodes racing for a lease cannot
/// both win and no node's clock matters. Acquisition never waits for a lock (`FOR UPDATE SKIP LOCKED`): a
/// lease row that someone is writing at that moment (a holder's fenced transaction, a renewal) counts as
/// held.
package enum JobLeaseStore {
    /// `timestamptz` as microseconds since the Unix epoch, for `Timestamp`.
    static func micros(_ expression: String) -> String { "(extract(epoch FROM \(expression)) * 1000000)::bigint" }

    /// Takes the lease of `job` for `holder` if it is free or has lapsed, and, with `dueAfter`, only if the
    /// job's last run started at least that long ago; records the run as `running` in the same transaction,
    /// and marks any run still `running` from a holder that lost the lease as failed.
    ///
    /// - Parameter dueAfter: the job's interval (a scheduler's attempt), or nil to run now whatever the
    ///   schedule (`sluice jobs run`).
    /// - Throws: `PostgresError`.
    package static func claim(
        job: String, holder: String, timing: LeaseTiming, dueAfter interval: Duration?,
        on connection: PostgresConnection
    ) throws -> ClaimResult {
        // Only when the row is missing: a plain INSERT … ON CONFLICT would wait for a holder's open fenced
        // transaction (the unique check waits on the row's in-progress version) instead of skipping it.
        try connection.query(
            """
            INSERT INTO sluice.job_leases (job) SELECT $1
            WHERE NOT EXISTS (SELECT FROM sluice.job_leases WHERE job = $1)
            ON CONFLICT (job) DO NOTHING
            """,
            [job]
        )
        let claim: JobClaim? = try connection.transaction { connection in
            let taken = try connection.query(
                """
                UPDATE sluice.job_leases AS l
                SET holder = $2, token = l.token + 1, acquired_at = now(), expires_at = now() + $3::interval,
                    last_started_at = now()
                WHERE l.job = (
                    SELECT f.job FROM sluice.job_leases AS f
                    WHERE f.job = $1 AND (f.holder IS NULL OR f.expires_at <= now())
                      AND ($4::interval IS NULL OR f.last_started_at IS NULL
                           OR f.last_started_at + $4::interval <= now())
                    FOR UPDATE SKIP LOCKED
                )
                RETURNING l.token
                """,
                [job, holder, JobLease.interval(timing.timeout), interval.map(JobLease.interval)]
            )
            guard taken.rowCount == 1, let token = try taken.int(0, 0) else { return nil }
            try connection.query(
                """
                UPDATE sluice.job_runs SET status = 'failed', finished_at = now(),
                    error = 'abandoned: ' || node || ' lost its lease before the run finished (it stopped renewing)'
                WHERE job = $1 AND status = 'running'
                """,
                [job]
            )
            let run = try connection.query(
                """
                INSERT INTO sluice.job_runs (job, node, token, status) VALUES ($1, $2, $3, 'running')
                RETURNING id, \(micros("started_at"))
                """,
                [job, holder, String(token)]
            )
            return JobClaim(
                lease: JobLease(job: job, holder: holder, token: Int64(token), timing: timing),
                runID: Int64(try run.int(0, 0) ?? 0),
                startedAt: Timestamp(unixMicroseconds: Int64(try run.int(0, 1) ?? 0))
            )
        }
        if let claim { return .claimed(claim) }
        let lease = try snapshot(job: job, on: connection)
        // Free and due, yet not taken: someone was writing the row at that moment (taking it, most likely).
        let due = interval.map { JobTimetable(interval: $0).isDue(lease) } ?? true
        return lease.isHeld || due ? .held(lease) : .notDue(lease)
    }

    /// Extends `lease` to a whole timeout from now (never shortens it), if it is still this holder's with
    /// this token.
    ///
    /// Inside a transaction this is the fence: the row stays locked until that transaction ends. The clock is
    /// `clock_timestamp()`, not the transaction's start, so a long transaction still extends the lease from
    /// the moment it asks.
    /// - Returns: whether the lease was still held (one row matched).
    /// - Throws: `PostgresError`.
    package static func renew(_ lease: JobLease, on connection: PostgresConnection) throws -> Bool {
        let result = try connection.query(
            """
            UPDATE sluice.job_leases SET expires_at = greatest(expires_at, clock_timestamp() + $4::interval)
            WHERE job = $1 AND holder = $2 AND token = $3
            """,
            lease.parameters
        )
        return result.affectedRows == 1
    }

    /// The lease of `job` as it stands.
    /// - Throws: `PostgresError`.
    package static func snapshot(job: String, on connection: PostgresConnection) throws -> LeaseSnapshot {
        let result = try connection.query(
            """
            SELECT holder, \(micros("greatest(expires_at, 'epoch'::timestamptz)")), \(micros("last_started_at")),
                \(micros("now()"))
            FROM sluice.job_leases WHERE job = $1
            """,
            [job]
        )
        let now = Timestamp(unixMicroseconds: Int64(try result.int(0, 3) ?? 0))
        guard result.rowCount == 1 else {
            return LeaseSnapshot(holder: nil, expiresAt: now, lastStartedAt: nil, now: now)
        }
        return LeaseSnapshot(
            holder: result.string(0, 0),
            expiresAt: Timestamp(unixMicroseconds: Int64(try result.int(0, 1) ?? 0)),
            lastStartedAt: try result.int(0, 2).map { Timestamp(unixMicroseconds: Int64($0)) }, now: now
        )
    }

    /// Ends the run of `claim`: releases the lease (if it is still this run's) and records the outcome, in one
    /// transaction; deletes the job's runs older than 30 days.
    ///
    /// A run whose lease was gone by the time it ended is recorded as failed whatever it returned: it can
    /// not have been alone, and its fenced transactions were refused.
    /// - Returns: the run as recorded, and the lease afterwards (for when to look at it next).
    /// - Throws: `PostgresError`.
    package static func finish(
        _ claim: JobClaim, outcome: Result<JobOutcome, any Error>, on connection: PostgresConnection
    ) throws -> (run: JobRun, lease: LeaseSnapshot) {
        let lease = claim.lease
        let run: JobRun = try connection.transaction { connection in
            var status: JobRunStatus
            var rows: Int64 = 0
            var summary: String?
            var error: String?
            switch outcome {
            case .success(let done):
                (status, rows, summary) = (.succeeded, done.rowsTouched, done.summary)
            case .failure(let failure):
                (status, error) = (.failed, JobRunLog.oneLine(failure))
            }
            let released = try connection.query(
                """
                UPDATE sluice.job_leases SET holder = NULL, expires_at = now(),
                    last_succeeded_at = CASE WHEN $4::boolean THEN now() ELSE last_succeeded_at END
                WHERE job = $1 AND holder = $2 AND token = $3
                """,
                [lease.job, lease.holder, String(lease.token), status == .succeeded ? "true" : "false"]
            )
            if released.affectedRows == 0 {
                let lost = "the lease (token \(lease.token)) was taken over or had lapsed before the run finished"
                error = error.map { "\($0); \(lost)" } ?? lost
                status = .failed
            }
            let recorded = try connection.query(
                """
                UPDATE sluice.job_runs SET status = $2, finished_at = now(), rows_touched = $3, summary = $4, error = $5
                WHERE id = $1
                RETURNING \(micros("started_at")), \(micros("finished_at"))
                """,
                [String(claim.runID), status.rawValue, String(rows), summary, error]
            )
            try connection.query(
                """
                DELETE FROM sluice.job_runs
                WHERE job = $1 AND status <> 'running' AND started_at < now() - interval '30 days'
                """,
                [lease.job]
            )
            return JobRun(
                job: lease.job, node: lease.holder, status: status,
                startedAt: try recorded.int(0, 0).map { Timestamp(unixMicroseconds: Int64($0)) } ?? claim.startedAt,
                finishedAt: try recorded.int(0, 1).map { Timestamp(unixMicroseconds: Int64($0)) },
                rowsTouched: rows, summary: summary, error: error
            )
        }
        return (run, try snapshot(job: lease.job, on: connection))
    }
}
