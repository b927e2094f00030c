import Foundation
import Logging
import SluicePostgres
import SluiceScheduler

/// Runs one scheduled job in this process, under its lease as `sluice jobs run` does, until its work is done:
/// for `sluice demo` (numbers at once after its traffic) and `sluice bench query` (the jobs' cost).
enum JobPass {
    /// Runs the job `name` once, and again while the table `marks` still holds rows (each run takes a bounded
    /// share of the marks); waits while another process (a server's scheduler) holds the job's lease.
    ///
    /// Blocks the calling thread: call it from a thread of its own, not from Swift's cooperative pool.
    /// - Parameter environment: the `SLUICE_…` settings the job is built from.
    /// - Returns: the seconds the runs themselves took (without the waits for the lease).
    /// - Throws: `BenchError` when the job fails, or no run finishes the marks after 10,000 runs.
    @discardableResult
    static func run(
        _ name: String, untilEmpty marks: String?, connection: PostgresConnection, role: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Double {
        let settings = try SchedulerSettings(jobs: [name], environment: environment)
        guard let entry = settings.entries.first else {
            throw BenchError("this sluice has no \(name) job")
        }
        var logger = Logger(label: "sluice") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .error
        let runner = JobRunner(
            connectionString: connection.connectionString, holder: JobHolder.identity(role: role), logger: logger
        )
        var seconds = 0.0
        var runs = 0
        while runs < 10_000 {
            if let marks, try connection.query("SELECT EXISTS (SELECT 1 FROM \(marks))").bool(0, 0) != true {
                return seconds
            }
            switch try runner.claim(entry.job, timing: entry.timing, dueAfter: nil, on: connection) {
            case .claimed(let claim):
                let report = runner.execute(entry.job, claim: claim)
                guard report.run.status == .succeeded else {
                    throw BenchError("the \(name) job failed: \(report.run.error ?? "unknown error")")
                }
                seconds += BenchFigures.seconds(report.duration)
                runs += 1
                if marks == nil { return seconds }
            case .held, .notDue:
                // Another process runs it right now; its run ends soon (its lease says by when at the latest).
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
        throw BenchError("the \(name) job left work in \(marks ?? name) after \(runs) runs")
    }
}
