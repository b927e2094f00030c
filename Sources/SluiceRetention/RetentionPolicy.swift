// SluiceRetention: the rules of retention without I/O: which days are due, how archives are named, the
// manifest's lines, and a streaming check of PostgreSQL's binary COPY format. The retention job, the
// archive commands and their SQL and files live in SluiceRetentionJob.

import SluiceCore

/// How long raw events and the pipeline's bookkeeping are kept.
///
/// A daily partition of `analytics.events` is due for archiving and dropping once its whole day lies before
/// today − ``days`` (UTC): with 90 days and today 2026-12-01, 2026-09-01 is the first day kept and 2026-08-31
/// the last one due. ``PartitionWindow`` reaches back at most as far as ``firstKeptDay(today:)``, so a due day
/// is never made again.
public struct RetentionPolicy: Sendable, Hashable {
    /// Days before today whose partitions are kept (`SLUICE_RETENTION_DAYS`, default 90).
    public let days: Int
    /// Days `sluice.job_runs` rows are kept.
    public let jobRunDays: Int

    /// Days before today whose rollup rows are kept (`SLUICE_ROLLUP_RETENTION_DAYS`, default
    /// ``defaultRollupDays``): hourly buckets and days before today − ``rollupDays`` are deleted.
    public let rollupDays: Int

    public static let defaultJobRunDays = 30
    /// 25 months, counted as 762 days (2 × 365 + 32): a month-over-month comparison two years back still
    /// has its month and the one before it.
    public static let defaultRollupDays = 762

    public init(
        days: Int = PartitionWindow.defaultRetentionDays, jobRunDays: Int = RetentionPolicy.defaultJobRunDays,
        rollupDays: Int = RetentionPolicy.defaultRollupDays
    ) {
        self.days = min(max(0, days), PartitionWindow.maximumDays)
        self.jobRunDays = max(0, jobRunDays)
        self.rollupDays = min(max(0, rollupDays), PartitionWindow.maximumDays)
    }

    /// Whether the rollups outlive the events (``rollupDays`` ≥ ``days``), as they must: a rollup bucket is
    /// recomputed from its events (late data, `sluice forget`), so one dropped while they remain would come
    /// back half.
    public var rollupsOutliveEvents: Bool { rollupDays >= days }

    /// The oldest day whose rollup rows are kept: today − ``rollupDays``.
    public func firstKeptRollupDay(today: CalendarDay) -> CalendarDay { today.adding(days: -rollupDays) }

    /// The oldest day whose partition is kept: today − ``days``.
    public func firstKeptDay(today: CalendarDay) -> CalendarDay { today.adding(days: -days) }

    /// Whether `day`'s partition is due: the whole day lies before ``firstKeptDay(today:)``.
    public func isDue(_ day: CalendarDay, today: CalendarDay) -> Bool { day < firstKeptDay(today: today) }

    /// The due days among `days`, oldest first, each once.
    public func dueDays(_ days: some Sequence<CalendarDay>, today: CalendarDay) -> [CalendarDay] {
        Set(days.filter { isDue($0, today: today) }).sorted()
    }

    /// Dead letters are kept as long as the events they would have been: rows older than this are purged.
    public func deadLetterCutoff(today: CalendarDay) -> Timestamp { firstKeptDay(today: today).start }

    /// Reads `SLUICE_RETENTION_DAYS` (default 90) as ``PartitionWindow`` does, and
    /// `SLUICE_ROLLUP_RETENTION_DAYS` (default 762).
    /// - Throws: `PartitionWindow.SettingError` when either is not a whole number of days in 0...3650.
    public static func fromEnvironment(
        _ environment: [String: String]
    ) throws(PartitionWindow.SettingError) -> RetentionPolicy {
        RetentionPolicy(
            days: try PartitionWindow.retentionDays(environment),
            rollupDays: try PartitionWindow.daysSetting(environment, "SLUICE_ROLLUP_RETENTION_DAYS", default: defaultRollupDays)
        )
    }
}
