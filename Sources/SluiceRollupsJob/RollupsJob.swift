// SluiceRollupsJob: the `rollups` job — the hourly and daily rollup tables recomputed, incrementally, for the
// hours sluice.rollup_marks names; each project's day one fenced transaction, then each block of days
// holding one.

import SluiceCore
import SluicePostgres
import SluiceRollups
import SluiceScheduler
import SluiceStore

/// The `rollups` job: reads the rollup marks, plans units (`RollupPlan`: one per project and UTC day), and
/// runs each in one fenced transaction that rewrites the marked hours' rows of `rollup_hourly` and
/// `rollup_hourly_dims` from events and sessions, then the day's rows of `rollup_daily` and
/// `rollup_daily_dims` from its hourly rows. Then the blocks of days that hold those days
/// (`rollup_span_dims`, see `RollupSpan`) are rewritten, a block a transaction, and the marks deleted.
///
/// Only the marked buckets are rewritten; a bucket is never seen half-written (its rows change in one
/// commit); a run that fails leaves the remaining marks for the next, and recomputing a bucket twice gives
/// the same rows. Between a day's commit and its blocks' a breakdown over a range holding a whole block reads
/// the block as it was: a lag of one pass, like that of the marks themselves.
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
            var done: [RollupUnit] = []
            for unit in RollupPlan(marks: marks).units {
                context.pace()
                if context.shouldStop { break }
                try context.checkLease()
                totals.add(try Self.recompute(unit, on: connection, fence: context.fence))
                done.append(unit)
            }
            totals.add(
                try Self.finish(done, on: connection, fence: context.fence) {
                    context.pace()
                    try context.checkLease()
                }
            )
        }
        return JobOutcome(rowsTouched: totals.rows, summary: totals.summary)
    }

    /// Recomputes one unit's buckets in one transaction on `connection`: its hours' rows of `rollup_hourly` and
    /// `rollup_hourly_dims` from events and sessions, then its day's rows of `rollup_daily` and
    /// `rollup_daily_dims`; `fence` is called last. The unit's marks stay until ``finish(_:on:fence:before:)``
    /// has rewritten the blocks of days that hold its day.
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
            try fence(connection)
            return outcome
        }
    }

    /// Rewrites the blocks of `analytics.rollup_span_dims` that hold the days of `units` (recomputed and
    /// committed), then deletes the units' marks.
    ///
    /// Each block is one transaction, shortest first, so every block is rewritten from halves that are already
    /// right; `before` is called ahead of each, `fence` last in each. The marks go only once every block is
    /// rewritten: a run that fails or stops before leaves them, and the next recomputes the days and their
    /// blocks again (which gives the same rows).
    /// - Throws: `PostgresError`, or what `before` or `fence` throws.
    static func finish(
        _ units: [RollupUnit], on connection: PostgresConnection, fence: (PostgresConnection) throws -> Void,
        before: () throws -> Void = {}
    ) throws -> RollupsOutcome {
        guard !units.isEmpty else { return RollupsOutcome() }
        var outcome = RollupsOutcome()
        for projectID in Set(units.map(\.projectID)).sorted() {
            let days = units.filter { $0.projectID == projectID }.map(\.day)
            outcome.add(try rewriteSpans(holding: days, projectID: projectID, on: connection, fence: fence, before: before))
        }
        try before()
        try connection.transaction { connection in
            try MarkTable.rollups.delete(units.flatMap(\.markIDs), on: connection)
            try fence(connection)
        }
        return outcome
    }

    /// Rewrites one project's rows of `span` from its halves (a 2-day block, from its days) in one transaction;
    /// `fence` is called last.
    /// - Returns: the rows written.
    static func rewrite(
        _ span: RollupSpan, projectID: Int64, on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void
    ) throws -> Int64 {
        let parameters = [String(projectID), String(span.length), span.firstDay.description]
        return try connection.transaction { connection in
            try connection.query(RollupsSQL.lockSpan, parameters)
            try connection.query(RollupsSQL.deleteSpanDims, parameters)
            let insert = span.halves == nil ? RollupsSQL.insertSpanDimsFromDays : RollupsSQL.insertSpanDimsFromHalves
            let rows = Int64(try connection.query(insert, parameters).affectedRows)
            try fence(connection)
            return rows
        }
    }

    /// Rewrites the blocks that hold any of `days` in each of `projects`, each once, shortest first: for the
    /// retention job, after it dropped the days before its horizon, and for rows of `rollup_daily_dims` written
    /// by other means than this job.
    /// - Returns: the rows written.
    public static func rewriteSpans(
        holding days: [CalendarDay], projects: [Int64], on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Int64 {
        var outcome = RollupsOutcome()
        for projectID in projects {
            outcome.add(try rewriteSpans(holding: days, projectID: projectID, on: connection, fence: fence))
        }
        return outcome.rows
    }

    /// Rewrites one project's blocks holding any of `days`, each once, shortest first, calling `before` ahead
    /// of each.
    static func rewriteSpans(
        holding days: [CalendarDay], projectID: Int64, on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void, before: () throws -> Void = {}
    ) throws -> RollupsOutcome {
        var outcome = RollupsOutcome()
        for span in RollupSpan.containing(days) {
            try before()
            outcome.rows += try rewrite(span, projectID: projectID, on: connection, fence: fence)
            outcome.spans += 1
        }
        return outcome
    }

    /// Recomputes the buckets that `marks` name, as a run of the job does (one transaction per project and
    /// UTC day, ``recompute(_:on:fence:)``, then the blocks of days that hold them), and deletes those marks;
    /// for `sluice forget` and `sluice archive restore`, which must leave the rollups right before they return.
    /// - Parameter fence: called last in each transaction.
    /// - Returns: the hourly buckets recomputed (distinct project and hour).
    /// - Throws: `PostgresError`; the units done before the failure stay committed, and all the marks stay.
    public static func recompute(
        _ marks: [HourMark], on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Int {
        let plan = RollupPlan(marks: marks)
        for unit in plan.units { _ = try recompute(unit, on: connection, fence: fence) }
        _ = try finish(plan.units, on: connection, fence: fence)
        return plan.hourCount
    }
}

/// What a run of the rollups job did, summed over its units.
struct RollupsOutcome {
    var units = 0
    var hours = 0
    var marks = 0
    /// Blocks of days rewritten.
    var spans = 0
    /// Rollup rows written (hourly, daily and blocks of days, with their dimension rows).
    var rows: Int64 = 0

    mutating func add(_ other: RollupsOutcome) {
        units += other.units
        hours += other.hours
        marks += other.marks
        spans += other.spans
        rows += other.rows
    }

    var summary: String {
        units == 0
            ? "no rollup marks"
            : "\(hours) hour(s) in \(units) project-day(s) and \(spans) block(s) of days recomputed for \(marks) "
                + "mark(s), \(rows) rollup row(s) written"
    }
}
