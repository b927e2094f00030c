import SluiceStore

/// The `partitions` job: `PartitionMaintainer` under the scheduler's lease, its one transaction fenced.
public struct PartitionsJob: CatalogJob {
    public static let jobName = "partitions"
    public static let about = """
        partitions: create the daily partitions of analytics.events from today - SLUICE_BACKFILL_DAYS \
        (default 90) to today + SLUICE_PREMAKE_DAYS (default 7), moving rows waiting in the default \
        partition into their new day; hourly in sluice serve.
        """

    public let maintainer: PartitionMaintainer
    public var defaultInterval: Duration { .seconds(3600) }
    public var leaseTimeout: Duration { .seconds(60) }

    public init(maintainer: PartitionMaintainer) {
        self.maintainer = maintainer
    }

    /// Reads `SLUICE_BACKFILL_DAYS` and `SLUICE_PREMAKE_DAYS`.
    /// - Throws: `StoreError` naming a variable that is not a number of days in 0...3650.
    public init(environment: [String: String]) throws {
        self.init(maintainer: try PartitionMaintainer.fromEnvironment(environment))
    }

    public func run(_ context: JobContext) throws -> JobOutcome {
        let report = try maintainer.run(context.connection, beforeCommit: context.fence)
        var summary = "created \(report.created.count)"
        if let first = report.created.first, let last = report.created.last { summary += " (\(first) … \(last))" }
        summary += ", \(report.existing) already present, moved \(report.movedRows) row(s) out of the default partition"
        summary += ", window -\(maintainer.backfillDays)…+\(maintainer.premakeDays) days"
        return JobOutcome(rowsTouched: Int64(report.movedRows), summary: summary)
    }
}
