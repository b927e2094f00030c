import ArgumentParser
import Foundation
import Logging
import SluicePostgres
import SluiceScheduler
import SluiceSchedulerCore

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scheduled jobs once (for cron), and see how their runs went.",
        discussion: """
            Examples:
              sluice jobs run all
              sluice jobs status --last 3
            """,
        subcommands: [Run.self, Status.self]
    )

    struct Run: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Run one job, or all of them, once and exit. Safe while servers run the same jobs: runs never overlap.",
            discussion: JobCatalog.help + "\n\n" + """
                Each run takes the job's lease in PostgreSQL (sluice.job_leases), as sluice serve's scheduler \
                does, renews it while the job works and releases it at the end; every run is recorded in \
                sluice.job_runs. When another process holds the lease, the run is skipped: it prints \
                'NAME: skipped: held by HOLDER until TIME', records a skipped run and exits 0, since the job is \
                being done (--wait waits for the lease instead). A job that fails prints one line on stderr, \
                and the command exits 1 after the other jobs of 'all' have run. \
                SLUICE_JOB_LEASE_TIMEOUT_NAME (e.g. SLUICE_JOB_LEASE_TIMEOUT_PARTITIONS=2m) sets how soon a \
                run whose process died can be taken over.

                Examples:
                  sluice jobs run all
                  sluice jobs run retention --wait 5m
                """
        )

        @Argument(help: ArgumentHelp("The job: \(JobNames.choices(JobCatalog.names)).", valueName: "name"))
        var name: String
        @Option(
            help: ArgumentHelp(
                "How long to wait for a lease another process holds, e.g. 30s or 5m; 0 skips at once.",
                valueName: "duration"
            )
        )
        var wait: String = "0"
        @Flag(help: "retention: drop past-horizon partitions without archiving them (as SLUICE_ARCHIVE=off).")
        var noArchive = false
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            do {
                _ = try JobNames.select(name, among: JobCatalog.names)
            } catch {
                throw ValidationError(error.message)
            }
            guard wait == "0" || JobDuration.parse(wait) != nil else {
                throw ValidationError("--wait must be 0 or a duration (\(JobDuration.accepted)), not '\(wait)'")
            }
        }

        func execute() throws {
            var environment = ProcessInfo.processInfo.environment
            if noArchive { environment["SLUICE_ARCHIVE"] = "off" }
            let names = try JobNames.select(name, among: JobCatalog.names)
            let settings = try SchedulerSettings(jobs: names, environment: environment)
            let patience = wait == "0" ? Duration.zero : JobDuration.parse(wait) ?? .zero
            var logger = Logger(label: "sluice") { StreamLogHandler.standardError(label: $0) }
            logger.logLevel = .error  // the outcome is printed below, once
            var failures = 0
            try database.withConnection { connection in
                let runner = JobRunner(
                    connectionString: connection.connectionString, holder: JobHolder.identity(role: "jobs-run"),
                    logger: logger
                )
                for entry in settings.entries {
                    let job = entry.job
                    let deadline = ContinuousClock.now + patience
                    var result = try runner.claim(job, timing: entry.timing, dueAfter: nil, on: connection)
                    while case .held = result, ContinuousClock.now < deadline {
                        Thread.sleep(forTimeInterval: 0.5)
                        result = try runner.claim(job, timing: entry.timing, dueAfter: nil, on: connection)
                    }
                    switch result {
                    case .claimed(let claim):
                        let report = runner.execute(job, claim: claim)
                        if report.run.status == .succeeded {
                            print("\(job.name): \(report.run.summary ?? "done") (\(report.duration.milliseconds) ms)")
                        } else {
                            failures += 1
                            Terminal.error("\(job.name) failed: \(report.run.error ?? "unknown error")")
                        }
                    case .held(let lease), .notDue(let lease):
                        let skipped = try runner.recordSkipped(job, lease: lease, on: connection)
                        print("\(job.name): skipped: \(skipped.summary ?? "")")
                    }
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }

    struct Status: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the last runs of every job: node, start, end, status, rows touched, error.",
            discussion: """
                Times are UTC. A run shown as running whose node is gone stays so until the next run of the job \
                takes over its lapsed lease and marks it failed. --json prints one object per run and line: \
                {"job":…,"node":…,"status":"running|succeeded|failed|skipped","startedAt":…,"finishedAt":…|null,\
                "rowsTouched":…,"summary":…|null,"error":…|null}.

                Examples:
                  sluice jobs status
                  sluice jobs status --json --last 20
                """
        )

        @Flag(help: "Print one JSON object per run and line, for scripts.") var json = false
        @Option(help: "How many of each job's runs to show, newest first (1-1000).") var last = 5
        @OptionGroup var database: DatabaseOptions

        func validate() throws {
            guard (1...1000).contains(last) else { throw ValidationError("--last must be in 1...1000, not \(last)") }
        }

        func execute() throws {
            let runs = try database.withConnection { try JobRunLog.recent(limit: last, on: $0) }
            if json {
                runs.forEach { print($0.jsonLine) }
                return
            }
            var rows = [JobRun.tableHeader]
            for job in Set(JobCatalog.names + runs.map(\.job)).sorted() {
                let own = runs.filter { $0.job == job }
                rows += own.isEmpty ? [[job, "-", "-", "-", "never", "0", "no run recorded yet"]] : own.map(\.tableRow)
            }
            TextTable.lines(rows).forEach { print($0) }
        }
    }
}
