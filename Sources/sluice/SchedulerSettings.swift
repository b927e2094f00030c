import ArgumentParser
import SluiceScheduler
import SluiceSchedulerCore

/// The jobs of the catalog with their intervals and lease timeouts: the jobs' defaults, overridden by
/// `SLUICE_JOB_INTERVAL_NAME` / `SLUICE_JOB_LEASE_TIMEOUT_NAME` and, for `sluice serve`, by
/// `--job-interval NAME=DURATION` / `--job-lease-timeout NAME=DURATION` (an option wins).
struct SchedulerSettings {
    var entries: [Scheduler.Entry]

    static let intervalPrefix = "SLUICE_JOB_INTERVAL_"
    static let leaseTimeoutPrefix = "SLUICE_JOB_LEASE_TIMEOUT_"

    /// - Throws: `ValidationError` (exit 64) for an unknown job name, an assignment without `=`, a duration
    ///   that is not one, or a job's own setting that is bad.
    init(
        jobs names: [String] = JobCatalog.names, intervals: [String] = [], leaseTimeouts: [String] = [],
        environment: [String: String]
    ) throws {
        do {
            let intervals = try JobOverrides(
                option: "--job-interval", environmentPrefix: Self.intervalPrefix, assignments: intervals,
                environment: environment, jobs: JobCatalog.names
            )
            let timeouts = try JobOverrides(
                option: "--job-lease-timeout", environmentPrefix: Self.leaseTimeoutPrefix, assignments: leaseTimeouts,
                environment: environment, jobs: JobCatalog.names
            )
            entries = try JobCatalog.make(names, environment: environment).map { job in
                Scheduler.Entry(job, interval: intervals[job.name], leaseTimeout: timeouts[job.name])
            }
        } catch let error as JobError {
            throw ValidationError(error.message)
        }
    }
}
