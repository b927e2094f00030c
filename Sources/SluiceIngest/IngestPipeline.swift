import Foundation
import Logging
import ServiceLifecycle
import SluiceLoader
import SluiceSpool

/// The spool committer and the loader as one service: both threads start with the server, and on graceful
/// shutdown (after the HTTP server has stopped taking requests) the ring is drained into the spool, the
/// spool synced, and the loader given until the deadline to copy what is left into PostgreSQL.
///
/// Whatever the loader does not reach stays in the spool, durable, and is loaded after the next start:
/// the deadline bounds how long a shutdown takes, never what it keeps.
package struct IngestPipeline: Service {
    let committer: SpoolCommitter
    let loader: SpoolLoader
    /// Unlocked once both threads have stopped, so that a new server may open the directory.
    let spool: SpoolDirectory
    let shutdownDeadline: Duration
    let logger: Logger

    package func run() async throws {
        committer.start()
        let loaderStopped = Self.startThread(named: "sluice-loader") { [loader] in loader.run() }
        try? await gracefulShutdown()

        logger.info("draining the ingest pipeline")
        await Self.blocking { [committer] in committer.stop() }
        let target = committer.committedEnd
        let deadline = ContinuousClock.now + shutdownDeadline
        loader.stop(drainUntil: deadline)
        await Self.blocking { loaderStopped.wait() }
        spool.unlock()
        let loaded = loader.position
        if loaded >= target {
            logger.info("ingest pipeline drained; every acknowledged event is in PostgreSQL", metadata: ["position": "\(loaded)"])
        } else {
            logger.warning(
                "shutdown deadline reached before the loader caught up; the rest stays in the spool for the next start",
                metadata: ["loaded": "\(loaded)", "spooled": "\(target)"]
            )
        }
    }

    /// Runs `body` on a new thread; the semaphore is signalled when it returns.
    static func startThread(named name: String, _ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
        return done
    }

    /// Runs blocking work off Swift concurrency's cooperative threads.
    static func blocking(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                body()
                continuation.resume()
            }
            thread.start()
        }
    }
}
