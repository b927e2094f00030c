// SluiceRollupsJob: the `rollups` job — the hourly and daily rollup tables recomputed, incrementally, for the
// hours sluice.rollup_marks names; each project's day one fenced transaction.

import SluiceCore
import SluicePostgres
import SluiceRollups
import SluiceScheduler
import SluiceStore

/// The `rollups` job: reads the rollup marks, plans units (`RollupPlan`: one per project and UTC day), and
/// runs each in one fenced transaction that rewrites the marked hours' rows of `rollup_hourly` and
/// `rollup_hourly_dims` from events and sessions, then the day's rows of `rollup_daily` and
/// `rollup_daily_dims` from its hourly rows, and deletes the unit's marks.
///
/// Only the marked buckets are rewritten; a bucket is never seen half-written (its rows change in one
/// commit); a run that fails leaves the remaining marks for the next, and recomputing a bucket twice gives
/// the same rows.
public struct RollupsJob: CatalogJob {
    public static let jobName = "rollups"
    public static let about = """
        rollups: recompute the hourly and daily rollups (analytics.rollup_hourly, rollup_daily and their \
        _dims per dimension value) of the hours the sessions job marked in sluice.rollup_marks, one \
        transaction per project and UTC day; every minute in sluice serve.
        """

    /// Marks read at a time; a run goes on reading until none is left.
    public let markBatch: Int
    public var defaultInterval: Duration { .seconds(60) }
    public var leaseTimeout: Duration { .seconds(120) }

    public init(markBatch: Int = 20_000) {
        precondition(markBatch > 0, "markBatch must be positive")
        self.markBatch = markBatch
    }

    /// The job reads no settings of its own.
    public init(environment: [String: String]) throws {
        self.init()
    }

    public func run(_ context: JobContext) throws -> JobOutcome {
        let connection = context.connection
        try AggregationSession.prepare(connection)
        var totals = RollupsOutcome()
        while !context.shouldStop {
            let marks = try MarkTable.rollups.oldest(markBatch, on: connection)
            if marks.isEmpty { break }
            for unit in RollupPlan(marks: marks).units {
                if context.shouldStop { break }
                try context.checkLease()
                totals.add(try run(unit, context))
            }
        }
        return JobOutcome(rowsTouched: totals.rows, summary: totals.summary)
    }

    /// One unit in one fenced transaction.
    func run(_ unit: RollupUnit, _ context: JobContext) throws -> RollupsOutcome {
        try Self.recompute(unit, on: context.connection, fence: context.fence)
    }

    /// Recomputes one unit's buckets in one transaction on `connection`: its hours' rows of `rollup_hourly` and
    /// `rollup_hourly_dims` from events and sessions, then its day's rows of `rollup_daily` and
    /// `rollup_daily_dims`, and deletes the unit's marks; `fence` is called last.
    ///
    /// The transaction first takes an advisory lock of the unit's project and day, so two recomputations of
    /// the same day (this job, and `sluice forget` or `sluice archive restore` recomputing at once) run one
    /// after the other and the later one rewrites what the earlier one wrote, instead of both inserting the
    /// same keys.
    /// - Throws: `PostgresError`, or what `fence` throws; nothing of the unit commits then.
    static func recompute(
        _ unit: RollupUnit, on connection: PostgresConnection, fence: (PostgresConnection) throws -> Void
    ) throws -> RollupsOutcome {
        let hourly = [
            String(unit.projectID), "{" + unit.hours.map(\.description).joined(separator: ",") + "}",
            unit.span.from.iso8601String, unit.span.to.iso8601String,
        ]
        let daily = [
            String(unit.projectID), unit.day.description, unit.dayRange.from.iso8601String,
            unit.dayRange.to.iso8601String,
        ]
        return try connection.transaction { connection in
            try connection.query(RollupsSQL.lockDay, Array(daily[0...1]))
            var outcome = RollupsOutcome(units: 1, hours: unit.hours.count, marks: unit.markIDs.count)
            try connection.query(RollupsSQL.deleteHourly, Array(hourly[0...1]))
            outcome.rows += Int64(try connection.query(RollupsSQL.insertHourly, hourly).affectedRows)
            try connection.query(RollupsSQL.deleteHourlyDims, Array(hourly[0...1]))
            outcome.rows += Int64(try connection.query(RollupsSQL.insertSessionDims, hourly).affectedRows)
            outcome.rows += Int64(try connection.query(RollupsSQL.insertEventDims, hourly).affectedRows)
            try connection.query(RollupsSQL.deleteDaily, Array(daily[0...1]))
            outcome.rows += Int64(try connection.query(RollupsSQL.insertDaily, daily).affectedRows)
            try connection.query(RollupsSQL.deleteDailyDims, Array(daily[0...1]))
            outcome.rows += Int64(try connection.query(RollupsSQL.insertDailyDims, daily).affectedRows)
            try MarkTable.rollups.delete(unit.markIDs, on: connection)
            try fence(connection)
            return outcome
        }
    }

    /// Recomputes the buckets that `marks` name, as a run of the job does (one transaction per project and
    /// UTC day, ``recompute(_:on:fence:)``), and deletes those marks; for `sluice forget` and
    /// `sluice archive restore`, which must leave the rollups right before they return.
    /// - Parameter fence: called last in each unit's transaction.
    /// - Returns: the hourly buckets recomputed (distinct project and hour).
    /// - Throws: `PostgresError`; the units done before the failure stay committed, the others keep their marks.
    public static func recompute(
        _ marks: [HourMark], on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Int {
        let plan = RollupPlan(marks: marks)
        for unit in plan.units { _ = try recompute(unit, on: connection, fence: fence) }
        return plan.hourCount
    }
}

/// What a run of the rollups job did, summed over its units.
struct RollupsOutcome {
    var units = 0
    var hours = 0
    var marks = 0
    /// Rollup rows written (hourly and daily, with their dimension rows).
    var rows: Int64 = 0

    mutating func add(_ other: RollupsOutcome) {
        units += other.units
        hours += other.hours
        marks += other.marks
        rows += other.rows
    }

    var summary: String {
        units == 0
            ? "no rollup marks"
            : "\(hours) hour(s) in \(units) project-day(s) recomputed for \(marks) mark(s), \(rows) rollup row(s) written"
    }
}
