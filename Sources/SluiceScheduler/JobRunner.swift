import Logging
import SluiceCore
import SluicePostgres
import SluiceSchedulerCore

/// Runs jobs under their leases for one holder: takes the lease, runs the job with a heartbeat, records the
/// outcome and releases the lease. Blocking throughout; call it from a thread of its own.
public struct JobRunner: Sendable {
    public let connectionString: String
    /// This process's identity (`JobHolder.identity`).
    public let holder: String
    let metrics: SchedulerMetrics?
    /// How the runs yield to this process's foreground work; nil never yields (`sluice jobs run`).
    public let yielding: JobYielding?
    let logger: Logger

    public init(
        connectionString: String, holder: String, metrics: SchedulerMetrics? = nil, yielding: JobYielding? = nil,
        logger: Logger
    ) {
        self.connectionString = connectionString
        self.holder = holder
        self.metrics = metrics
        self.yielding = yielding
        self.logger = logger
    }

    /// What a run came to.
    public struct Report: Sendable {
        /// The run as recorded in `sluice.job_runs`.
        public var run: JobRun
        /// The lease after the run, for when to look at it next; nil when the outcome could not be recorded
        /// (the database was gone: the lease then lapses and the next holder marks the run failed).
        public var lease: LeaseSnapshot?
        /// How long the run took, by this process's clock.
        public var duration: Duration
    }

    /// Tries to take `job`'s lease on `connection`; see `JobLeaseStore.claim`.
    /// - Throws: `PostgresError`.
    public func claim(
        _ job: any Job, timing: LeaseTiming, dueAfter interval: Duration?, on connection: PostgresConnection
    )
        throws -> ClaimResult
    {
        try JobLeaseStore.claim(job: job.name, holder: holder, timing: timing, dueAfter: interval, on: connection)
    }

    /// Records that a run of `job` was asked for but another holder had the lease.
    /// - Throws: `PostgresError`.
    public func recordSkipped(_ job: any Job, lease: LeaseSnapshot, on connection: PostgresConnection) throws -> JobRun
    {
        metrics?.skipped(job.name)
        return try JobRunLog.recordSkipped(job: job.name, holder: holder, lease: lease, on: connection)
    }

    /// Runs `job` under `claim` on a new connection of its own, with a heartbeat on another, then records the
    /// outcome and releases the lease. Never throws: every failure of the job, or of the database under it,
    /// ends up in the report (and in `sluice.job_runs` when the database can still be reached).
    package func execute(_ job: any Job, claim: JobClaim, signals: RunSignals = RunSignals()) -> Report {
        let started = ContinuousClock.now
        metrics?.started(job.name)
        var logger = self.logger
        logger[metadataKey: "job"] = "\(job.name)"
        let heartbeat = LeaseHeartbeat(
            lease: claim.lease, connectionString: connectionString, signals: signals, logger: logger
        )
        var connection: PostgresConnection?
        let pacer = JobPacer(yielding)
        var outcome = Result<JobOutcome, any Error> {
            let opened = try PostgresConnection.connect(connectionString, retry: RetryPolicy(deadline: 5))
            connection = opened
            let result = try job.run(
                JobContext(connection: opened, lease: claim.lease, signals: signals, pacer: pacer, logger: logger)
            )
            // The work since the run's last pace owes its pause too, before the run ends: otherwise a job whose
            // passes hold one or two units (the sessions and rollups jobs under live traffic) would pay for
            // none of its last unit's work, and work far more than its share. The lease is held, with its
            // heartbeat, as in any pause; a stop request ends it.
            pacer.pace(shouldStop: { signals.stopRequested || signals.leaseLost })
            return result
        }
        heartbeat.stop()
        if pacer.yielded > .zero {
            metrics?.yielded(job.name, pacer.yielded)
            outcome = outcome.map { outcome in
                var outcome = outcome
                outcome.summary += "; yielded \(Self.seconds(pacer.yielded)) s to the saturated loader"
                return outcome
            }
        }
        var report = Report(
            run: JobRun(
                job: job.name, node: holder, status: .failed, startedAt: claim.startedAt, finishedAt: nil,
                rowsTouched: 0, summary: nil, error: nil
            ),
            lease: nil, duration: .zero
        )
        do {
            let recorder =
                try connection ?? PostgresConnection.connect(connectionString, retry: RetryPolicy(deadline: 10))
            // A job that threw out of a transaction it opened itself must not have it committed with the record.
            if recorder.isInTransaction { try recorder.execute("ROLLBACK") }
            let finished = try recorder.withReconnect(retry: RetryPolicy(deadline: 10)) {
                try JobLeaseStore.finish(claim, outcome: outcome, on: $0)
            }
            (report.run, report.lease) = (finished.run, finished.lease)
        } catch {
            if case .failure(let failure) = outcome { report.run.error = JobRunLog.oneLine(failure) }
            logger.warning(
                "could not record the run's outcome; its lease lapses and the next holder marks it failed",
                metadata: ["error": "\(error)"]
            )
        }
        report.duration = .now - started
        metrics?.finished(report.run, duration: report.duration)
        log(report, logger: logger)
        return report
    }

    /// `duration` in seconds to the millisecond, e.g. `12.034`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.milliseconds
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    private func log(_ report: Report, logger: Logger) {
        let run = report.run
        let metadata: Logger.Metadata = [
            "status": "\(run.status.rawValue)", "rows": "\(run.rowsTouched)",
            "milliseconds": "\(report.duration.milliseconds)",
        ]
        switch run.status {
        case .failed:
            logger.warning(
                "job failed; it runs again one interval after this run started: \(run.error ?? "")", metadata: metadata)
        default:
            logger.log(
                level: run.rowsTouched > 0 ? .info : .debug, "job done: \(run.summary ?? "")", metadata: metadata)
        }
    }
}
