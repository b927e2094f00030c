// SluiceScheduler: runs Sluice's jobs on a schedule inside `sluice serve`, and once from `sluice jobs run`,
// never two runs of a job at once anywhere: a lease per job in PostgreSQL, fenced transactions, runs recorded
// in sluice.job_runs and exported as metrics. The rules without I/O live in SluiceSchedulerCore.

import SluiceSchedulerCore

/// A scheduled job: something the scheduler runs every `interval`, on one node at a time.
///
/// To add a job, write a type that conforms to `CatalogJob` (this protocol plus a name and a way to build it
/// from the environment) in the job's own target, and add that type to the `sluice` command's `JobCatalog`.
/// The scheduler needs nothing else.
public protocol Job: Sendable {
    /// The job's name: lower-case letters, digits and `_` (`JobNames.isValid`), as `sluice jobs run NAME`,
    /// `sluice.job_runs.job` and the metrics' `job` label spell it.
    var name: String { get }

    /// How often the scheduler runs the job unless `--job-interval NAME=…` says otherwise.
    var defaultInterval: Duration { get }

    /// How long the job's lease lasts without a renewal: how soon, after its holder died, another node may run
    /// the job. The runner renews the lease every third of this while `run` works, so a long run keeps it.
    var leaseTimeout: Duration { get }

    /// One run of the job.
    ///
    /// Called on a thread of its own, never on Swift concurrency's cooperative pool, so blocking database
    /// calls are what it should make. Use `context.connection`, and make every transaction that writes go
    /// through `context.transaction` (or call `context.fence` as its last statement), so that a run which
    /// lost its lease cannot commit. Between units of work, stop early when `context.shouldStop` says so.
    ///
    /// - Returns: what the run did, for `sluice.job_runs` and the log.
    /// - Throws: anything; the run is recorded as failed with the error's description, the lease is released,
    ///   and the job is tried again one interval after this run started.
    func run(_ context: JobContext) throws -> JobOutcome
}

/// What a run did.
public struct JobOutcome: Sendable, Equatable {
    /// Rows the run inserted, updated, moved or deleted (the job decides what it counts).
    public var rowsTouched: Int64
    /// One line for people: what was done, e.g. `created 2 partitions (events_p20261201 … events_p20261202)`.
    public var summary: String

    public init(rowsTouched: Int64, summary: String) {
        self.rowsTouched = rowsTouched
        self.summary = summary
    }
}

/// A job that the `sluice` command can list, and build by name from the environment.
public protocol CatalogJob: Job {
    /// The job's name; `name` returns it.
    static var jobName: String { get }
    /// What the job does, one paragraph for `sluice jobs run --help`, naming the settings it reads.
    static var about: String { get }
    /// Builds the job from its `SLUICE_…` environment variables.
    /// - Throws: an error whose description names the variable and what it accepts (bad usage, exit 64).
    init(environment: [String: String]) throws
}

extension CatalogJob {
    public var name: String { Self.jobName }
}
