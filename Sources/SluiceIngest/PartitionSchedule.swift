import Logging
import ServiceLifecycle
import SluicePostgres
import SluiceStore

/// The scheduler's partitions job inside `sluice serve`: at start and then hourly, creates the daily
/// partitions ahead of the data and moves rows out of the default partition.
///
/// Runs never overlap, with each other or with `sluice jobs run partitions` from cron: the job takes a
/// transaction-level advisory lock. The other jobs of the scheduler join this service as they are built.
package struct PartitionSchedule: Service {
    let connectionString: String
    let maintainer: PartitionMaintainer
    let interval: Duration
    let logger: Logger

    package init(connectionString: String, maintainer: PartitionMaintainer, interval: Duration = .seconds(3600), logger: Logger) {
        self.connectionString = connectionString
        self.maintainer = maintainer
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await IngestPipeline.blocking { [self] in runOnce() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    private func runOnce() {
        do {
            let connection = try PostgresConnection.connect(connectionString, retry: .never)
            let report = try maintainer.run(connection)
            if !report.created.isEmpty || report.movedRows > 0 {
                logger.info(
                    "partitions job",
                    metadata: ["created": "\(report.created.count)", "moved": "\(report.movedRows)"]
                )
            }
        } catch {
            logger.warning("partitions job failed; retrying at the next run", metadata: ["error": "\(error)"])
        }
    }
}
