import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import SluiceLoader
import SluicePostgres

/// The database half of the start-up, done late: after a start while PostgreSQL was unreachable, waits for
/// the database, streams its ids into the committer's dedupe window, then lets the loader go with the
/// duplicates it must drop, and saves the projects' keys afresh.
///
/// Until then the window holds only the spool's ids (every record in the spool, loaded or not, since the
/// checkpoint was unknown) and those accepted since the start, and the loader is held
/// (``SpoolLoader/hold()``). The merge reports which ids the window held already: events accepted without
/// knowing they were stored. Every such event sits in a record before the spool end at that moment, so the
/// loader drops exactly those ids from exactly those records (docs/architecture.md, "Starting during an
/// outage", has the reasoning).
///
/// Retries with backoff until it succeeds or the server stops; a server stopped first leaves the loader
/// held, and the next start (with or without the database) decides again from what is on disk.
package struct DedupeRecovery: Service {
    let connectionString: String
    let window: Duration
    let capacity: Int
    let partitionWindow: PartitionWindow
    let committer: SpoolCommitter
    let loader: SpoolLoader
    let projects: ProjectDirectory
    let retryDelays: ClosedRange<Duration>
    let logger: Logger

    /// Retries until done, then waits for the server's shutdown: a service that returns early would make the
    /// service group stop the whole server.
    package func run() async throws {
        var delay = retryDelays.lowerBound
        var attempt = 1
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let current = attempt
            if await Self.onThread({ [self] in attemptOnce(current) }) {
                try? await gracefulShutdown()
                return
            }
            let pause = delay
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            delay = min(delay * 2, retryDelays.upperBound)
            attempt += 1
        }
    }

    /// The committer stopped while chunks were being handed over.
    private struct CommitterStopped: Error {}

    /// One attempt. Returns true when done, or when there is nothing left to do (the committer stopped).
    private func attemptOnce(_ attempt: Int) -> Bool {
        do {
            let connection = try PostgresConnection.connect(connectionString, retry: .never)
            let rows = try DedupeRebuild.databaseHalf(
                connection, window: window, limit: capacity, partitionWindow: partitionWindow
            ) { chunk in
                guard committer.merge(chunk) else { throw CommitterStopped() }
            }
            guard let outcome = committer.finishMerge() else { return true }
            loader.release(dropping: .dropping(outcome.present, before: outcome.end))
            logger.notice(
                """
                PostgreSQL is reachable again: the dedupe window is complete; events accepted meanwhile that were \
                already stored are dropped before they load
                """,
                metadata: [
                    "fromDatabase": "\(rows)", "alreadyStored": "\(outcome.present.count)",
                    "filteredUntil": "\(outcome.end)", "attempts": "\(attempt)",
                ]
            )
            do {
                try projects.load(connection)
            } catch {
                logger.warning("could not reload the projects' write keys", metadata: ["error": "\(error)"])
            }
            return true
        } catch is CommitterStopped {
            return true
        } catch {
            let metadata: Logger.Metadata = ["error": "\(error)", "attempt": "\(attempt)"]
            if attempt == 1 {
                logger.warning(
                    "still waiting for PostgreSQL to complete the dedupe window; retrying", metadata: metadata
                )
            } else {
                logger.debug("still waiting for PostgreSQL to complete the dedupe window", metadata: metadata)
            }
            return false
        }
    }

    /// Runs blocking `body` on a thread of its own, off Swift concurrency's cooperative threads.
    private static func onThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: body()) }
            thread.name = "sluice-dedupe-recovery"
            thread.start()
        }
    }
}
