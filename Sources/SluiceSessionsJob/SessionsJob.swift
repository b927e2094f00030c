// SluiceSessionsJob: the `sessions` job — visits (analytics.sessions) derived again, incrementally, around the
// hours whose events changed, as sluice.event_marks says; each step one fenced transaction.

import Foundation
import SluiceCore
import SluicePostgres
import SluiceScheduler
import SluiceSessions
import SluiceStore

/// The `sessions` job: reads the event marks, plans steps (`SessionPlan`), and runs each step in one fenced
/// transaction that deletes the visits of the step's persons around its hours (only the persons of the rows
/// the marking loads committed, when the marks say so), derives them again from the events,
/// marks the changed hours for the `rollups` job and deletes the step's event marks.
///
/// A run that fails or stops half-way leaves every finished step committed and the rest of the marks in
/// place: the next run does what is left, and a step done twice gives the same visits.
public struct SessionsJob: CatalogJob {
    public static let jobName = "sessions"
    public static let about = """
        sessions: derive the visits (analytics.sessions; 30 minutes without an event ends one) again around \
        the hours whose events changed, as the loader marked them in sluice.event_marks, a UTC day at most \
        per transaction, and mark those hours for the rollups job; every minute in sluice serve.
        """

    public let rule: VisitRule
    /// Marks read at a time; a run goes on reading until none is left.
    public let markBatch: Int
    public var defaultInterval: Duration { .seconds(60) }
    public var leaseTimeout: Duration { .seconds(120) }

    public init(rule: VisitRule = .standard, markBatch: Int = 20_000) {
        precondition(markBatch > 0, "markBatch must be positive")
        self.rule = rule
        self.markBatch = markBatch
    }

    /// The job reads no settings of its own.
    public init(environment: [String: String]) throws {
        self.init()
    }

    public func run(_ context: JobContext) throws -> JobOutcome {
        let connection = context.connection
        try Self.prepare(connection)
        var totals = SessionsOutcome()
        while !context.shouldStop {
            let marks = try MarkTable.events.oldest(markBatch, on: connection)
            if marks.isEmpty { break }
            let plan = SessionPlan(marks: marks)
            for step in plan.steps {
                context.pace()
                if context.shouldStop { break }
                try context.checkLease()
                totals.add(try run(step, context))
            }
        }
        return JobOutcome(rowsTouched: totals.deleted + totals.inserted, summary: totals.summary)
    }

    /// One step in one fenced transaction.
    func run(_ step: SessionStep, _ context: JobContext) throws -> SessionsOutcome {
        try derive(step, on: context.connection, fence: context.fence)
    }

    /// One step in one transaction on `connection` (``prepare(_:)`` must have run on it): the visits around
    /// the step's hours deleted and derived again from the events, the changed hours marked for the rollups,
    /// the step's event marks deleted; `fence` is called last.
    ///
    /// The transaction first takes an advisory lock of the step's project, so a restore deriving a day's
    /// visits while the job runs waits for the job's step (and the other way round) instead of both inserting
    /// the same visits.
    /// - Throws: `PostgresError`, or what `fence` throws; nothing of the step commits then.
    func derive(
        _ step: SessionStep, on connection: PostgresConnection, fence: (PostgresConnection) throws -> Void
    ) throws -> SessionsOutcome {
        let window = step.overlapWindow(rule)
        let hours = "{" + step.hours.hours.map(\.description).joined(separator: ",") + "}"
        return try connection.transaction { connection in
            try connection.query(SessionsSQL.lockProject, [String(step.projectID)])
            var parameters: [String?] = [
                String(step.projectID), step.hours.start.iso8601String, step.hours.end.iso8601String,
                window.from.iso8601String, window.through.iso8601String,
                step.earliestShortVisitStart(rule).iso8601String, hours,
            ]
            if let receivedFrom = step.receivedFrom { parameters.append(receivedFrom.iso8601String) }
            let planned = try connection.query(
                step.receivedFrom == nil ? SessionsSQL.deleteAndPlan : SessionsSQL.deleteAndPlanReceived, parameters
            )
            var outcome = SessionsOutcome(steps: 1, marks: Int64(step.markIDs.count))
            outcome.deleted = Int64(try planned.int(0, 0) ?? 0)
            if let persons = try planned.int(0, 1), persons > 0, let lo = planned.string(0, 2),
                let hi = planned.string(0, 3)
            {
                try connection.execute(SessionsSQL.noNestedLoops)
                let derived = try connection.query(
                    SessionsSQL.derive, [String(step.projectID), lo, hi, rule.intervalText]
                )
                outcome.inserted = Int64(try derived.int(0, 0) ?? 0)
            }
            try MarkTable.events.delete(step.markIDs, on: connection)
            try fence(connection)
            return outcome
        }
    }

    /// The session settings and the temporary table the steps need, once per connection.
    /// - Throws: `PostgresError`.
    static func prepare(_ connection: PostgresConnection) throws {
        try AggregationSession.prepare(connection)
        try connection.execute(SessionsSQL.createWindows)
    }

    /// Derives the visits again around the hours that `marks` (event marks) name, as a run of the job does
    /// (``SessionPlan``, one transaction per step), deleting those marks; the hours whose visits changed are
    /// marked for the rollups job. For `sluice archive restore`, which loads a day's events back.
    /// - Parameter fence: called last in each step's transaction.
    /// - Returns: the visits derived.
    /// - Throws: `PostgresError`; the steps done before the failure stay committed, the others keep their marks.
    public func derive(
        _ marks: [HourMark], on connection: PostgresConnection,
        fence: (PostgresConnection) throws -> Void = { _ in }
    ) throws -> Int {
        guard !marks.isEmpty else { return 0 }
        try Self.prepare(connection)
        var derived: Int64 = 0
        for step in SessionPlan(marks: marks).steps { derived += try derive(step, on: connection, fence: fence).inserted }
        return Int(derived)
    }
}

/// What a run of the sessions job did, summed over its steps.
struct SessionsOutcome {
    var steps = 0
    var marks: Int64 = 0
    var deleted: Int64 = 0
    var inserted: Int64 = 0

    mutating func add(_ other: SessionsOutcome) {
        steps += other.steps
        marks += other.marks
        deleted += other.deleted
        inserted += other.inserted
    }

    var summary: String {
        steps == 0
            ? "no event marks"
            : "\(steps) step(s) for \(marks) event mark(s): \(inserted) visit(s) derived, \(deleted) replaced"
    }
}
