import SluiceRetention
import SluiceScheduler

/// The `retention` job: ``PartitionArchiver`` under the scheduler's lease, every writing transaction fenced.
public struct RetentionJob: CatalogJob {
    public static let jobName = "retention"
    public static let about = """
        retention: archive each daily partition of analytics.events older than today - SLUICE_RETENTION_DAYS \
        (default 90) to SLUICE_ARCHIVE_DIR/analytics.events/YYYY-MM-DD.copy.zst (binary COPY, zstd; a line in \
        manifest.jsonl), read it back and count its rows, then drop the partition; refuses without \
        SLUICE_ARCHIVE_DIR unless SLUICE_ARCHIVE=off (or --no-archive) says to drop without an archive. \
        Also deletes what follows the events' horizon (analytics.sessions: visits started before it; dead \
        letters created before it), rollup rows (analytics.rollup_hourly, rollup_daily and their _dims) \
        before today - SLUICE_ROLLUP_RETENTION_DAYS (default 762 days, 25 months: 2 x 365 + 32), and \
        sluice.job_runs older than 30 days; daily in sluice serve.
        """

    public let archiver: PartitionArchiver
    public var defaultInterval: Duration { .seconds(86_400) }
    public var leaseTimeout: Duration { .seconds(300) }

    public init(archiver: PartitionArchiver) {
        self.archiver = archiver
    }

    /// Reads `SLUICE_RETENTION_DAYS`, `SLUICE_ARCHIVE_DIR` and `SLUICE_ARCHIVE` (`on`, the default, or `off`).
    /// - Throws: ``RetentionError`` naming a variable with a value it cannot use.
    public init(environment: [String: String]) throws {
        let policy: RetentionPolicy
        do {
            policy = try RetentionPolicy.fromEnvironment(environment)
        } catch {
            throw RetentionError(.invalidSetting, error.description)
        }
        guard policy.rollupsOutliveEvents else {
            throw RetentionError(
                .invalidSetting,
                "SLUICE_ROLLUP_RETENTION_DAYS=\(policy.rollupDays) is shorter than SLUICE_RETENTION_DAYS=\(policy.days): "
                    + "rollups are recomputed from the events, so they must be kept at least as long; raise it"
            )
        }
        let archiving: PartitionArchiver.Archiving
        switch environment["SLUICE_ARCHIVE"] ?? "" {
        case "", "on": archiving = .required
        case "off": archiving = .off
        case let other:
            throw RetentionError(.invalidSetting, "SLUICE_ARCHIVE=\(other) is neither on nor off")
        }
        let directory = environment["SLUICE_ARCHIVE_DIR"].flatMap { $0.isEmpty ? nil : ArchiveDirectory(path: $0) }
        var archiver = PartitionArchiver(policy: policy, directory: directory, archiving: archiving)
        archiver.faults = environment
        self.init(archiver: archiver)
    }

    public func run(_ context: JobContext) throws -> JobOutcome {
        let report = try archiver.run(
            context.connection, fence: context.fence, shouldStop: { context.shouldStop }
        )
        var summary = "dropped \(report.dropped.count) partition(s)"
        if let first = report.dropped.first, let last = report.dropped.last { summary += " (\(first) … \(last))" }
        summary += ", \(report.rows) row(s)"
        if archiver.archiving == .required {
            summary += ", archived \(report.archivedBytes) bytes"
        } else {
            summary += ", not archived (SLUICE_ARCHIVE=off)"
        }
        summary += "; purged \(report.jobRunsPurged) job run(s), \(report.deadLettersPurged) dead letter(s)"
        summary += ", \(report.sessionsPurged) visit(s), \(report.rollupRowsPurged) rollup row(s)"
        summary += "; keeping \(archiver.policy.days) days of events, \(archiver.policy.rollupDays) of rollups"
        if report.stopped { summary += "; stopped early, the next run carries on" }
        let touched =
            report.rows + report.jobRunsPurged + report.deadLettersPurged + report.sessionsPurged
            + report.rollupRowsPurged
        return JobOutcome(rowsTouched: Int64(touched), summary: summary)
    }
}
