import Foundation
import Logging
import SluiceCore
import SluiceHangGuard
import SluiceLoader
import SluicePostgres
import SluiceRollupsJob
import SluiceScheduler
import SluiceSchedulerCore
import SluiceSessionsJob
import SluiceSpool
import SluiceStore
import SluiceTestSupport
import Testing

/// The lease of a job that a test meant to run was held by someone else: the test's own set-up went wrong.
struct LeaseHeld: Error, CustomStringConvertible {
    let description: String
}

let quietLogger: Logger = {
    var logger = Logger(label: "aggregation-test") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .error
    return logger
}()

/// A migrated throwaway database with a spool that the real loader copies into it, and the sessions and
/// rollups jobs run as `sluice jobs run` runs them: under their leases, recorded in `sluice.job_runs`.
final class AggregationFixture {
    let database: PostgresConnection
    let spoolDirectory: String
    let loader: SpoolLoader
    let writer: SpoolWriter
    let runner: JobRunner

    init(_ label: String, maxBatchRows: Int = 50_000) throws {
        database = try TestDatabase.migrated(label)
        try database.execute("SET TIME ZONE 'UTC'")
        spoolDirectory =
            FileManager.default.temporaryDirectory
            .appendingPathComponent("sluice-aggregation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: spoolDirectory, withIntermediateDirectories: true)
        writer = try SpoolWriter(directory: spoolDirectory)
        loader = SpoolLoader(
            configuration: LoaderConfiguration(
                connectionString: database.connectionString, spoolDirectory: spoolDirectory, nodeID: "node-a",
                maxBatchRows: maxBatchRows, retryDelays: .milliseconds(20) ... .milliseconds(300),
                idleDelay: .milliseconds(50), healthCheckInterval: .milliseconds(100)
            ),
            logger: quietLogger
        )
        runner = JobRunner(connectionString: database.connectionString, holder: "test@\(label)", logger: quietLogger)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: spoolDirectory)
    }

    var connectionString: String { database.connectionString }

    /// Writes `rows` to the spool as the server does (records of at most `perRecord` rows, fsync'd) and loads
    /// everything through the loader.
    func load(_ rows: [EventRow], perRecord: Int = 1_000) throws {
        try writer.appendDurably(rows, perRecord: perRecord)
        while try loader.loadAvailable().records > 0 {}
    }

    /// One run of `job` under its lease, as `sluice jobs run` does it.
    @discardableResult
    func run(_ job: any Job) throws -> JobRunner.Report {
        try Self.run(job, runner: runner)
    }

    /// One run of `job` by `runner`, from any thread.
    static func run(_ job: any Job, runner: JobRunner) throws -> JobRunner.Report {
        let connection = try PostgresConnection(runner.connectionString)
        guard
            case .claimed(let claim) = try runner.claim(
                job, timing: LeaseTiming(timeout: job.leaseTimeout), dueAfter: nil, on: connection)
        else { throw LeaseHeld(description: "the lease of \(job.name) was held by someone else") }
        return runner.execute(job, claim: claim)
    }

    /// Runs the sessions job, then the rollups job, and expects both to succeed.
    func aggregate(sourceLocation: SourceLocation = #_sourceLocation) throws {
        for job in [SessionsJob() as any Job, RollupsJob()] {
            let report = try run(job)
            #expect(
                report.run.status == .succeeded, "\(job.name): \(report.run.error ?? "")",
                sourceLocation: sourceLocation)
        }
    }

    func count(_ sql: String) throws -> Int {
        try database.query(sql).int(0, 0) ?? -1
    }
}
