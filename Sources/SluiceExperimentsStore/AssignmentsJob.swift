import SluiceScheduler
import SluiceSchedulerCore

/// The `assignments` job: puts every person seen since its last run into the variations of the running
/// experiments (`experiments.assignments`), and records exposures, from the events in `analytics.events`.
///
/// Incremental on `received_at`, per project: each run reads the events received after the project's watermark
/// (`experiments.assignment_watermarks`) up to ``settle`` ago, and again those of the ``lookback`` before the
/// watermark, which a late load may have added since the last run. Re-reading changes nothing: every write is an
/// insert that skips people already there or an update that only moves a time earlier. One fenced transaction
/// per project, its watermark included, so a run that loses its lease commits nothing of that project and the
/// next run reads the same window again. docs/experiments.md has the rules, and why received_at.
public struct AssignmentsJob: CatalogJob {
    public static let jobName = "assignments"
    public static let about = """
        assignments: put the people seen since the last run in the variations of the running experiments \
        (experiments.assignments), and record their first "Experiment Viewed" exposure and any exposure that \
        named another variation; reads the events received up to SLUICE_ASSIGNMENTS_SETTLE (default 1m) ago, \
        and again those received in the SLUICE_ASSIGNMENTS_LOOKBACK (default 15m) before the last run's \
        horizon, which a late load may have added; every 5 minutes in sluice serve.
        """

    /// How long ago the newest events read by a run were received: loads in flight (and clocks of ingest nodes
    /// slightly ahead of the database's) get that long to commit before the watermark passes them.
    public let settle: Duration
    /// How far before the watermark each run reads again, for events committed after a run had passed their
    /// `received_at` (a loader that was behind).
    public let lookback: Duration

    public var defaultInterval: Duration { .seconds(300) }
    public var leaseTimeout: Duration { .seconds(120) }

    public init(settle: Duration = .seconds(60), lookback: Duration = .seconds(900)) {
        self.settle = settle
        self.lookback = lookback
    }

    /// Reads `SLUICE_ASSIGNMENTS_SETTLE` and `SLUICE_ASSIGNMENTS_LOOKBACK` (`0`, or a duration such as `90s`,
    /// `15m`, `6h`).
    /// - Throws: `JobError` (`.badSetting`) naming a variable that is neither.
    public init(environment: [String: String]) throws {
        func duration(_ name: String, default value: Duration) throws -> Duration {
            guard let text = environment[name], !text.isEmpty else { return value }
            if text == "0" { return .zero }
            guard let parsed = JobDuration.parse(text) else {
                throw JobError(.badSetting, "\(name)=\(text) must be 0 or a duration (\(JobDuration.accepted))")
            }
            return parsed
        }
        self.init(
            settle: try duration("SLUICE_ASSIGNMENTS_SETTLE", default: .seconds(60)),
            lookback: try duration("SLUICE_ASSIGNMENTS_LOOKBACK", default: .seconds(900))
        )
    }

    public func run(_ context: JobContext) throws -> JobOutcome {
        let projects = try context.connection.query(
            "SELECT DISTINCT project_id FROM experiments.experiments ORDER BY project_id"
        )
        var total = AssignmentTally()
        var done = 0
        for row in 0..<projects.rowCount {
            context.pace()
            if context.shouldStop { break }
            try context.checkLease()
            let projectID = Int64(try projects.int(row, 0) ?? 0)
            let run = ProjectAssignmentRun(projectID: projectID, settle: settle, lookback: lookback, logger: context.logger)
            let tally = try context.transaction { try run.run(on: $0) }
            AssignmentMetrics.record(tally, projectID: projectID)
            total.add(tally)
            done += 1
        }
        var summary = "\(done) project(s): " + total.summary
        if done < projects.rowCount { summary += "; stopped early, \(projects.rowCount - done) project(s) left" }
        return JobOutcome(rowsTouched: total.rowsTouched, summary: summary)
    }
}
