import SluiceCore
import SluiceSchedulerCore

/// A lease just taken, with the `sluice.job_runs` row of the run it is for.
public struct JobClaim: Sendable, Equatable {
    public let lease: JobLease
    /// The id of the run's row in `sluice.job_runs` (status `running` until the run ends).
    public let runID: Int64
    /// When the run started, by the database's clock.
    public let startedAt: Timestamp
}

/// What an attempt to take a job's lease found.
public enum ClaimResult: Sendable, Equatable {
    /// The lease is this process's now; run the job.
    case claimed(JobClaim)
    /// Another holder has it (or was taking it at that very moment).
    case held(LeaseSnapshot)
    /// The lease is free but the job is not due yet (a scheduler's attempt only).
    case notDue(LeaseSnapshot)
}
