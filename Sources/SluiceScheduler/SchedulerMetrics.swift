import Prometheus
import SluiceCore
import SluiceSchedulerCore

/// The scheduler's series on `/metrics`, registered on the server's Prometheus registry.
///
/// Runs and durations count this process's runs; the last-success time is the database's (any node's), so
/// an alert on it holds however many servers and cron lines share the work.
public final class SchedulerMetrics: Sendable {
    private let runs: [String: Counter]
    private let durations: [String: DurationHistogram]
    private let running: [String: Gauge]
    private let lastSuccess: [String: Gauge]
    private let yields: [String: Counter]

    /// Buckets from 10 ms to an hour: jobs range from a catalog query to a month of rollups.
    static let buckets: [Duration] = [
        .milliseconds(10), .milliseconds(100), .seconds(1), .seconds(10), .seconds(60), .seconds(300),
        .seconds(1800), .seconds(3600),
    ]

    /// Creates every series of every job in `jobs` at once, so each shows (as zero) before its first run.
    public init(registry: PrometheusCollectorRegistry, jobs: [String]) {
        var runs: [String: Counter] = [:]
        var durations: [String: DurationHistogram] = [:]
        var running: [String: Gauge] = [:]
        var lastSuccess: [String: Gauge] = [:]
        var yields: [String: Counter] = [:]
        func name(_ metric: String, unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(
                namespace: "sluice", subsystem: "job", metricName: metric, unitName: unit, helpText: help
            )
        }
        let runsName = name(
            "runs", unit: "total",
            "Runs of a scheduled job by this process, by outcome (skipped: another holder had the lease)"
        )
        let durationName = name("duration", unit: "seconds", "How long this process's runs of a scheduled job took")
        let runningName = name("running", unit: "", "1 while this process runs the job, else 0")
        let lastSuccessName = name(
            "last_success_timestamp", unit: "seconds",
            "Unix time at which the job last succeeded on any node (0: never)"
        )
        let yieldName = name(
            "yield", unit: "seconds_total",
            "Seconds this process's runs of a job paused for the loader, which was saturated (see --jobs-busy-share)"
        )
        for job in jobs {
            for status in [JobRunStatus.succeeded, .failed, .skipped] {
                runs[Self.key(job, status)] = registry.makeCounter(
                    descriptor: runsName, labels: [("job", job), ("status", status.rawValue)]
                )
            }
            durations[job] = registry.makeDurationHistogram(
                descriptor: durationName, labels: [("job", job)], buckets: Self.buckets
            )
            running[job] = registry.makeGauge(descriptor: runningName, labels: [("job", job)])
            lastSuccess[job] = registry.makeGauge(descriptor: lastSuccessName, labels: [("job", job)])
            yields[job] = registry.makeCounter(descriptor: yieldName, labels: [("job", job)])
        }
        self.runs = runs
        self.durations = durations
        self.running = running
        self.lastSuccess = lastSuccess
        self.yields = yields
    }

    private static func key(_ job: String, _ status: JobRunStatus) -> String { "\(job) \(status.rawValue)" }

    func started(_ job: String) {
        running[job]?.set(Int64(1))
    }

    func finished(_ run: JobRun, duration: Duration) {
        running[run.job]?.set(Int64(0))
        runs[Self.key(run.job, run.status)]?.increment()
        durations[run.job]?.record(duration)
        if run.status == .succeeded, let finishedAt = run.finishedAt { lastSucceeded(run.job, at: finishedAt) }
    }

    func yielded(_ job: String, _ duration: Duration) {
        yields[job]?.increment(by: duration.inSeconds)
    }

    func skipped(_ job: String) {
        runs[Self.key(job, .skipped)]?.increment()
    }

    func lastSucceeded(_ job: String, at time: Timestamp) {
        lastSuccess[job]?.set(Double(time.unixMicroseconds) / 1_000_000)
    }
}
