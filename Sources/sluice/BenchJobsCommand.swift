import ArgumentParser
import Foundation
import Logging
import SluiceCore
import SluiceLoader
import SluicePostgres
import SluiceRollupsJob
import SluiceScheduler
import SluiceSchedulerCore
import SluiceSessionsJob
import SluiceSpool
import SluiceStore
import SluiceWorkload

/// `sluice bench jobs`: what the sessions and rollups jobs cost, for a first build and for a late batch.
///
/// Generated events are written to a spool and loaded by the real loader into a scratch database (so the
/// event marks are the loader's own), then the two jobs run as `sluice jobs run` runs them and are timed.
/// Then a late batch, spread over the last 30 days, is loaded the same way and the jobs run again; the
/// buckets they rewrote are counted by their update markers.
struct BenchJobs: FailingCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Time the sessions and rollups jobs: a full build of N events, then a late batch over 30 days.",
        discussion: """
            The events are generated (SyntheticEvents: realistic interleaved visits) over --days days before now \
            and loaded through the spool and the loader before any clock starts. The build is the first run of \
            each job over all of them; the late batch is --late events spread over the 30 days before now, \
            loaded the same way, after which each job runs once more. Hourly and daily rollup buckets rewritten \
            by that second round are counted by their updated_at.

            Example:
              sluice bench jobs --events 1000000 --days 30 --json
            """
    )

    @Option(help: "Events of the full build.") var events = 1_000_000
    @Option(help: "Days before now that the build's events spread over.") var days = 30
    @Option(help: "Events of the late batch, spread over the last 30 days.") var late = 1_000
    @Flag(help: "Print one JSON line last.") var json = false
    @OptionGroup var database: DatabaseOptions

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be at least 1") }
        guard (1...90).contains(days) else { throw ValidationError("--days must be between 1 and 90") }
        guard late >= 0 else { throw ValidationError("--late must not be negative") }
    }

    func execute() throws {
        try database.withServer { server, _ in
            let scratch = try ScratchDatabase(server: server)
            defer { scratch.drop() }
            let spool = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-jobs-\(getpid())")
            try FileManager.default.createDirectory(at: spool, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: spool) }
            let bench = try Bench(scratch: scratch, spoolDirectory: spool.path)

            Terminal.note("generating and loading \(events) events over \(days) days")
            var generator = SyntheticEvents(
                projectID: 1, seed: 20_261_201, days: days, users: max(100, events / 30), now: .now())
            try bench.load(generator.rows(events))
            let build = try bench.runJobs()
            let visits = try bench.count("SELECT count(*) FROM analytics.sessions")
            let buildSeconds = build.sessions + build.rollups
            print("build           \(events) events, \(visits) visits over \(days) days")
            print(
                "sessions        \(String(format: "%.2f", build.sessions)) s   rollups \(String(format: "%.2f", build.rollups)) s"
            )
            let perMillion = buildSeconds / Double(events) * 1_000_000
            print("full build      \(String(format: "%.2f", perMillion)) s per million events")

            var lateFigures: LateFigures?
            if late > 0 {
                var lateGenerator = SyntheticEvents(
                    projectID: 1, seed: 20_261_202, days: 30, users: max(50, late / 5), now: .now())
                try bench.load(lateGenerator.lateRows(late, arrival: .now()))
                let marks = try MarkTable.events.count(on: bench.connection)
                let before = try bench.connection.query("SELECT now()::text").string(0, 0)!
                let round = try bench.runJobs()
                let hourly = try bench.count(
                    "SELECT count(DISTINCT bucket) FROM analytics.rollup_hourly WHERE updated_at > '\(before)'")
                let daily = try bench.count(
                    "SELECT count(DISTINCT day) FROM analytics.rollup_daily WHERE updated_at > '\(before)'")
                let figures = LateFigures(
                    marks: marks, hourly: hourly, daily: daily, seconds: round.sessions + round.rollups,
                    sessions: round.sessions, rollups: round.rollups
                )
                lateFigures = figures
                print(
                    "late batch      \(late) events in \(marks) marked hours: \(hourly) hourly and \(daily) daily "
                        + "buckets rewritten in \(String(format: "%.2f", figures.seconds)) s "
                        + "(sessions \(String(format: "%.2f", figures.sessions)) s, "
                        + "rollups \(String(format: "%.2f", figures.rollups)) s)"
                )
            }
            if json {
                var fields = [
                    "\"events\":\(events)", "\"days\":\(days)", "\"visits\":\(visits)",
                    "\"sessionsSeconds\":\(Self.number(build.sessions))",
                    "\"rollupsSeconds\":\(Self.number(build.rollups))",
                    "\"secondsPerMillionEvents\":\(Self.number(perMillion))",
                ]
                if let lateFigures {
                    fields += [
                        "\"lateEvents\":\(late)", "\"lateMarkedHours\":\(lateFigures.marks)",
                        "\"lateHourlyBuckets\":\(lateFigures.hourly)", "\"lateDailyBuckets\":\(lateFigures.daily)",
                        "\"lateSeconds\":\(Self.number(lateFigures.seconds))",
                    ]
                }
                print("{" + fields.joined(separator: ",") + "}")
            }
        }
    }

    static func number(_ value: Double) -> String { String(format: "%.3f", value) }

    struct LateFigures {
        var marks: Int
        var hourly: Int
        var daily: Int
        var seconds: Double
        var sessions: Double
        var rollups: Double
    }

    /// The scratch database, its spool and loader, and the jobs' runner.
    final class Bench {
        let connection: PostgresConnection
        let writer: SpoolWriter
        let loader: SpoolLoader
        let runner: JobRunner

        init(scratch: ScratchDatabase, spoolDirectory: String) throws {
            connection = try scratch.connect()
            writer = try SpoolWriter(directory: spoolDirectory)
            var logger = Logger(label: "sluice.bench") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .error
            loader = SpoolLoader(
                configuration: LoaderConfiguration(
                    connectionString: scratch.connectionString, spoolDirectory: spoolDirectory, nodeID: "bench"),
                logger: logger
            )
            runner = JobRunner(
                connectionString: scratch.connectionString, holder: JobHolder.identity(role: "bench"), logger: logger)
        }

        /// Spools `rows` in records of 1,000 (as requests arrive) and loads them all.
        func load(_ rows: [EventRow]) throws {
            try writer.appendDurably(rows, perRecord: 1_000)
            while try loader.loadAvailable().records > 0 {}
        }

        /// Runs the sessions job, then the rollups job; returns the seconds of each.
        func runJobs() throws -> (sessions: Double, rollups: Double) {
            (try run(SessionsJob()), try run(RollupsJob()))
        }

        private func run(_ job: any Job) throws -> Double {
            guard
                case .claimed(let claim) = try runner.claim(
                    job, timing: LeaseTiming(timeout: job.leaseTimeout), dueAfter: nil, on: connection)
            else { throw StoreError("\(job.name): the scratch database's lease is held; run the benchmark again") }
            let report = runner.execute(job, claim: claim)
            guard report.run.status == .succeeded else {
                throw StoreError("\(job.name) failed: \(report.run.error ?? "unknown error")")
            }
            Terminal.note("\(job.name): \(report.run.summary ?? "")")
            return BenchFigures.seconds(report.duration)
        }

        func count(_ sql: String) throws -> Int { try connection.query(sql).int(0, 0) ?? 0 }
    }
}
