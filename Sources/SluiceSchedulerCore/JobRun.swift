import SluiceCore

/// The state of one run of a job, as `sluice.job_runs.status` spells it.
public enum JobRunStatus: String, Sendable, CaseIterable {
    /// Started and not finished: in flight, or its holder died (the next holder marks it failed).
    case running
    case succeeded
    case failed
    /// Asked for (by `sluice jobs run`) while another holder had the lease, so not run.
    case skipped
}

/// One row of `sluice.job_runs`: a run of a job on a node.
public struct JobRun: Sendable, Equatable {
    public var job: String
    /// The holder that ran it (or asked for it, when skipped), e.g. `default@web-1:4242`.
    public var node: String
    public var status: JobRunStatus
    public var startedAt: Timestamp
    /// Nil while running.
    public var finishedAt: Timestamp?
    /// Rows the run inserted, updated, moved or deleted, as the job counts them.
    public var rowsTouched: Int64
    /// One line on what the run did (or why it was skipped).
    public var summary: String?
    /// One line on why it failed.
    public var error: String?

    public init(
        job: String, node: String, status: JobRunStatus, startedAt: Timestamp, finishedAt: Timestamp?,
        rowsTouched: Int64, summary: String?, error: String?
    ) {
        self.job = job
        self.node = node
        self.status = status
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.rowsTouched = rowsTouched
        self.summary = summary
        self.error = error
    }
}
