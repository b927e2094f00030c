import Logging
import SluiceCore
import SluiceExperiments
import SluiceExperimentsStore
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore
import SluiceStore
import SluiceTestSupport
import Testing

/// A fresh migrated database with one project, for the experiments' store and job tests.
struct ExperimentsDatabase {
    let url: String
    let connection: PostgresConnection
    let projectID: Int64

    init(_ label: String) throws {
        url = try TestDatabase.fresh(label)
        connection = try PostgresConnection(url)
        try Migrator.bundled().migrate(connection)
        projectID = try ProjectStore.create(name: "Experiments", on: connection).project.id
    }

    /// Stores `file` as the project's experiment.
    @discardableResult
    func save(_ file: String, force: Bool = false) throws -> ExperimentStore.Saved {
        try ExperimentStore.save(try ExperimentDefinition(jsonText: file), projectID: projectID, force: force, on: connection)
    }

    /// One run of `job` under a real lease, as `sluice jobs run` does it; fails the test unless it succeeds.
    @discardableResult
    func run(_ job: AssignmentsJob = AssignmentsJob(settle: .zero, lookback: .seconds(900))) throws -> JobRun {
        var logger = Logger(label: "experiments-test")
        logger.logLevel = .warning
        let runner = JobRunner(connectionString: url, holder: "test@experiments:1", logger: logger)
        guard case .claimed(let claim) = try runner.claim(job, timing: LeaseTiming(timeout: job.leaseTimeout), dueAfter: nil, on: connection)
        else {
            throw StoreTestError("the assignments lease was held")
        }
        let report = runner.execute(job, claim: claim)
        #expect(report.run.status == .succeeded, "\(report.run.error ?? "")")
        return report.run
    }

    /// Every assignment row of `key`, by person: variant, first_seen, first_exposure, mismatch_at,
    /// mismatch_variant, assigned_at (as text).
    func assignments(_ key: String, version: Int = 1) throws -> [String: [String?]] {
        let result = try connection.query(
            """
            SELECT person_id, variant::text, first_seen::text, first_exposure::text, mismatch_at::text,
                mismatch_variant::text, assigned_at::text
            FROM experiments.assignments WHERE project_id = $1 AND experiment_key = $2 AND version = $3
            """,
            [String(projectID), key, String(version)]
        )
        var rows: [String: [String?]] = [:]
        for row in 0..<result.rowCount {
            rows[result.string(row, 0)!] = (1..<7).map { result.string(row, $0) }
        }
        return rows
    }

    func count(_ sql: String) throws -> Int {
        try connection.query(sql).int(0, 0) ?? -1
    }
}

struct StoreTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
