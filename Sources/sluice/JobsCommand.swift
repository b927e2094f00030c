import ArgumentParser
import SluicePostgres
import SluiceStore

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run scheduled jobs once, for cron.",
        subcommands: [Run.self]
    )

    /// The jobs this version of sluice has; `all` runs each of them in this order.
    enum Name: String, CaseIterable, ExpressibleByArgument {
        case partitions, all
    }

    struct Run: FailingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one job once and exit. Safe while a server runs the same job: runs never overlap.",
            discussion: """
                partitions: create the daily partitions of analytics.events from today - SLUICE_BACKFILL_DAYS \
                (default 90) to today + SLUICE_PREMAKE_DAYS (default 7), moving rows waiting in the default \
                partition into their new day.
                """
        )

        @Argument(help: ArgumentHelp("The job: \(Name.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "name"))
        var name: Name
        @OptionGroup var database: DatabaseOptions

        func execute() throws {
            try database.withConnection { connection in
                if name == .partitions || name == .all {
                    try runPartitions(connection)
                }
            }
        }

        private func runPartitions(_ connection: PostgresConnection) throws {
            let maintainer = try PartitionMaintainer.fromEnvironment()
            let started = ContinuousClock.now
            let report = try maintainer.run(connection)
            let elapsed = ContinuousClock.now - started
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            var line = "partitions: created \(report.created.count)"
            if let first = report.created.first, let last = report.created.last {
                line += " (\(first) … \(last))"
            }
            line += ", \(report.existing) already present, moved \(report.movedRows) row(s) out of the default"
            line += " partition, window -\(maintainer.backfillDays)…+\(maintainer.premakeDays) days (\(milliseconds) ms)"
            print(line)
        }
    }
}
