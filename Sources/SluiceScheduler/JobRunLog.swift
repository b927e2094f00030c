import SluiceCore
import SluicePostgres
import SluiceSchedulerCore

/// The SQL of `sluice.job_runs` apart from a run's own start and end: skipped runs, and reading runs back.
public enum JobRunLog {
    /// Records that `holder` asked for a run of `job` and did not get the lease.
    /// - Returns: the recorded run, its summary naming the holder and when its lease lapses.
    /// - Throws: `PostgresError`.
    @discardableResult
    package static func recordSkipped(
        job: String, holder: String, lease: LeaseSnapshot, on connection: PostgresConnection
    )
        throws -> JobRun
    {
        let summary = "held by \(lease.holder ?? "another holder") until \(lease.expiresAt.iso8601(fractionDigits: 0))"
        let result = try connection.query(
            """
            INSERT INTO sluice.job_runs (job, node, status, started_at, finished_at, summary)
            VALUES ($1, $2, 'skipped', now(), now(), $3)
            RETURNING \(JobLeaseStore.micros("started_at"))
            """,
            [job, holder, summary]
        )
        let at = Timestamp(unixMicroseconds: Int64(try result.int(0, 0) ?? 0))
        return JobRun(
            job: job, node: holder, status: .skipped, startedAt: at, finishedAt: at, rowsTouched: 0, summary: summary,
            error: nil
        )
    }

    /// The last `limit` runs of every job that has a lease row (every job that was ever asked for), newest
    /// first within each job, jobs in name order.
    /// - Throws: `PostgresError`.
    public static func recent(limit: Int, on connection: PostgresConnection) throws -> [JobRun] {
        let result = try connection.query(
            """
            SELECT r.job, r.node, r.status, \(JobLeaseStore.micros("r.started_at")),
                \(JobLeaseStore.micros("r.finished_at")), r.rows_touched, r.summary, r.error
            FROM sluice.job_leases AS l
            CROSS JOIN LATERAL (
                SELECT * FROM sluice.job_runs WHERE job = l.job ORDER BY started_at DESC, id DESC LIMIT $1
            ) AS r
            ORDER BY r.job, r.started_at DESC, r.id DESC
            """,
            [String(limit)]
        )
        return try (0..<result.rowCount).map { row in
            JobRun(
                job: result.string(row, 0) ?? "", node: result.string(row, 1) ?? "",
                status: JobRunStatus(rawValue: result.string(row, 2) ?? "") ?? .failed,
                startedAt: Timestamp(unixMicroseconds: Int64(try result.int(row, 3) ?? 0)),
                finishedAt: try result.int(row, 4).map { Timestamp(unixMicroseconds: Int64($0)) },
                rowsTouched: Int64(try result.int(row, 5) ?? 0), summary: result.string(row, 6),
                error: result.string(row, 7)
            )
        }
    }

    /// When each job last succeeded, on any node.
    /// - Throws: `PostgresError`.
    package static func lastSuccesses(on connection: PostgresConnection) throws -> [String: Timestamp] {
        let result = try connection.query(
            "SELECT job, \(JobLeaseStore.micros("last_succeeded_at")) FROM sluice.job_leases "
                + "WHERE last_succeeded_at IS NOT NULL"
        )
        var successes: [String: Timestamp] = [:]
        for row in 0..<result.rowCount {
            guard let job = result.string(row, 0), let micros = try result.int(row, 1) else { continue }
            successes[job] = Timestamp(unixMicroseconds: Int64(micros))
        }
        return successes
    }

    /// An error's description as one line of at most 2,000 characters, for `sluice.job_runs.error`.
    static func oneLine(_ error: any Error) -> String {
        let text = String(describing: error).split(whereSeparator: \.isNewline).joined(separator: " ")
        return text.count > 2000 ? String(text.prefix(2000)) + "…" : text
    }
}
