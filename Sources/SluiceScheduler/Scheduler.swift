import Logging
import ServiceLifecycle
import SluiceSchedulerCore

/// The scheduler inside `sluice serve`: runs each job every interval, under its lease, on threads of its own
/// (the jobs block on libpq; they never touch Swift concurrency's cooperative pool, so they cannot stall the
/// HTTP server or the loader).
///
/// On graceful shutdown no new run starts; runs in flight are asked to stop at their next chance
/// (`JobContext.shouldStop`) and given `shutdownDeadline` to finish and record themselves. A run still going
/// after that is left to the process's exit: its lease lapses, and the next holder marks it failed.
public struct Scheduler: Service {
    /// A job and how this scheduler runs it.
    public struct Entry: Sendable {
        public var job: any Job
        public var interval: Duration
        public var leaseTimeout: Duration

        /// - Parameters: `interval`, `leaseTimeout`: nil takes the job's defaults.
        /// - Precondition: the job's name is valid (`JobNames.isValid`); the database would refuse it.
        public init(_ job: any Job, interval: Duration? = nil, leaseTimeout: Duration? = nil) {
            precondition(JobNames.isValid(job.name), "'\(job.name)' is not a valid job name")
            self.job = job
            self.interval = interval ?? job.defaultInterval
            self.leaseTimeout = leaseTimeout ?? job.leaseTimeout
        }

        public var timing: LeaseTiming { LeaseTiming(timeout: leaseTimeout) }
        var timetable: JobTimetable { JobTimetable(interval: interval) }
        /// How soon to look again after the database could not be asked: soon, but no sooner than the job is
        /// due anyway.
        var retryAfterError: Duration { min(interval, .seconds(30)) }
    }

    let entries: [Entry]
    let runner: JobRunner
    let metrics: SchedulerMetrics?
    let shutdownDeadline: Duration
    let logger: Logger

    /// - Parameters:
    ///   - holder: this process's identity (`JobHolder.identity`); one per process.
    ///   - metrics: where runs are counted, or nil for none.
    ///   - yielding: how the runs yield to the process's loader while it is saturated; nil never yields.
    public init(
        connectionString: String, holder: String, entries: [Entry], metrics: SchedulerMetrics? = nil,
        yielding: JobYielding? = nil, shutdownDeadline: Duration = .seconds(30), logger: Logger
    ) {
        self.entries = entries
        self.runner = JobRunner(
            connectionString: connectionString, holder: holder, metrics: metrics, yielding: yielding, logger: logger
        )
        self.metrics = metrics
        self.shutdownDeadline = shutdownDeadline
        self.logger = logger
    }

    public func run() async throws {
        let loop = SchedulerLoop(entries: entries, runner: runner, metrics: metrics, logger: logger)
        loop.start()
        try? await gracefulShutdown()
        loop.stop()
        if await !loop.finished.wait(timeout: shutdownDeadline) {
            logger.warning(
                "a job was still running at the shutdown deadline; its lease lapses and the next holder marks it failed"
            )
        }
    }
}
