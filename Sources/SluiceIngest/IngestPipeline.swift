import Foundation
import Logging
import ServiceLifecycle
import SluiceLoader
import SluiceSpool

/// The spool committer and the loader as one service: both threads start with the server, and on graceful
/// shutdown (after the HTTP server has stopped taking requests) the ring is drained into the spool, the
/// spool synced, and the loader given until the shutdown deadline to copy what is left into PostgreSQL.
///
/// Whatever the loader does not reach stays in the spool, durable, and is loaded after the next start:
/// the deadline bounds how long a shutdown takes, never what it keeps.
///
/// Every wait here has a bound. The committer's last write and sync, and the loader's batch in flight, each get
/// until the deadline plus ``grace`` (at least ``grace`` from when the wait starts); a thread still blocked then
/// (an fsync that never returns, a COPY to a database that stopped answering) is left behind with an error in
/// the log, and `run()` returns so the process can exit. Nothing acknowledged depends on it: with
/// `--ack durable` an answer waits for the sync, and the loader's unfinished transaction rolls back.
package struct IngestPipeline: Service {
    let committer: SpoolCommitter
    let loader: SpoolLoader
    /// Unlocked once both threads have stopped, so that a new server may open the directory. Left locked when a
    /// thread is left behind blocked: it may still write, and the process's exit releases the lock.
    let spool: SpoolDirectory
    let shutdown: ShutdownDeadline
    /// The extra time each blocked wait gets past the deadline.
    let grace: Duration
    let logger: Logger

    package init(
        committer: SpoolCommitter, loader: SpoolLoader, spool: SpoolDirectory, shutdown: ShutdownDeadline,
        grace: Duration, logger: Logger
    ) {
        self.committer = committer
        self.loader = loader
        self.spool = spool
        self.shutdown = shutdown
        self.grace = grace
        self.logger = logger
    }

    package func run() async throws {
        committer.start()
        let loaderStopped = Self.startThread(named: "sluice-loader") { [loader] in loader.run() }
        try? await gracefulShutdown()

        // Usually already fixed by the first HTTP connection told to quiesce.
        let deadline = shutdown.begin()
        logger.info("draining the ingest pipeline")
        let committerStopped = Self.startThread(named: "sluice-spool-stop") { [committer] in committer.stop() }
        guard await Self.wait(for: committerStopped, until: max(deadline, .now) + grace) else {
            logger.error(
                "the spool's last write and sync did not finish by the shutdown deadline; exiting without them (requests waiting for them were not acknowledged; check the spool disk)",
                metadata: ["grace": "\(grace)"]
            )
            loader.stop(drainUntil: nil)
            _ = await Self.wait(for: loaderStopped, until: .now + grace)
            return
        }
        let target = committer.committedEnd
        loader.stop(drainUntil: deadline)
        guard await Self.wait(for: loaderStopped, until: max(deadline, .now) + grace) else {
            logger.error(
                "the loader's batch in flight did not finish by the shutdown deadline; exiting without it (it rolls back, and the spool keeps its events for the next start)",
                metadata: ["loaded": "\(loader.position)", "spooled": "\(target)"]
            )
            return
        }
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

    /// Waits, off Swift concurrency's cooperative threads, until `semaphore` is signalled or `deadline` passes.
    ///
    /// - Returns: true if it was signalled in time.
    static func wait(for semaphore: DispatchSemaphore, until deadline: ContinuousClock.Instant) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let thread = Thread {
                let remaining = max(.zero, deadline - .now).components
                let seconds = Double(remaining.seconds) + Double(remaining.attoseconds) / 1e18
                continuation.resume(returning: semaphore.wait(timeout: .now() + seconds) == .success)
            }
            thread.name = "sluice-shutdown-wait"
            thread.start()
        }
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
