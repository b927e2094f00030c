import Foundation
import Logging
import SluiceCore
import SluiceHangGuard
import SluiceIngest
import SluiceSpool
import SluiceSpoolTesting
import Synchronization

/// A `sluice serve` pipeline in the test process without its HTTP listener: the real ``IngestServer``
/// start-up (lock, recovery, checkpoint and identity, writer, dedupe rebuild), its committer thread and its
/// loader thread, on a spool storage the test controls. Submissions go straight into the committer's ring,
/// as a request handler hands them over.
///
/// ``crash()`` is a power loss: the storage stops performing operations, then the threads are stopped
/// (they see only failures by then) and the spool lock dies with the "process".
final class SimulatedNode: Sendable {
    let server: IngestServer
    let projectID: Int64
    private let loaderStopped = DispatchSemaphore(value: 0)

    /// Starts a node; throws what `IngestServer.init` throws (for example after a crash during start-up).
    ///
    /// - Parameter logLevel: what the node logs on stderr; nil logs nothing (a crashed node's complaints).
    init(configuration: IngestConfiguration, projectID: Int64, logLevel: Logger.Level? = nil) throws {
        var logger = Logger(label: "sluice-crash", factory: { _ in SwiftLogNoOpLogHandler() })
        if let logLevel {
            logger = Logger(label: "sluice-crash")
            logger.logLevel = logLevel
        }
        server = try IngestServer(configuration: configuration, secret: Array(repeating: 3, count: 32), logger: logger)
        self.projectID = projectID
        server.committer.start()
        let loader = server.loader
        let stopped = loaderStopped
        let thread = Thread {
            loader.run()
            stopped.signal()
        }
        thread.name = "sluice-loader-test"
        thread.start()
    }

    /// Hands one request's events to the committer and waits for its answer: the receipt once they are
    /// durable (with `--ack durable`; at once with `--ack memory`), or the error a client would get as 503.
    ///
    /// With `waitForDurable`, waits for the fsync whatever the ack mode.
    func submit(_ messageIDs: [String], waitForDurable: Bool = false) async -> Result<SpoolReceipt, IngestError> {
        await Self.submit(messageIDs, projectID: projectID, to: server, waitForDurable: waitForDurable)
    }

    /// ``submit(_:waitForDurable:)`` for any server whose committer runs.
    static func submit(_ messageIDs: [String], projectID: Int64, to server: IngestServer, waitForDurable: Bool = false)
        async -> Result<SpoolReceipt, IngestError>
    {
        var encoder = CopyEncoder(capacity: 256 * messageIDs.count)
        var ends: [Int] = []
        var keys: [UInt64] = []
        let now = Timestamp.now()
        for id in messageIDs {
            encoder.append(
                EventRow(
                    projectID: projectID, messageID: id, type: .track, event: "Crash Test", anonymousID: "anon-\(id)",
                    timestamp: now, receivedAt: now, properties: #"{"id":"\#(id)"}"#
                )
            )
            ends.append(encoder.count)
            keys.append(DedupeWindow.key(projectID: projectID, messageID: id))
        }
        let submission = SpoolSubmission(tuples: encoder.bytes, tupleEnds: ends, keys: keys)
        let committer = server.committer
        if server.configuration.ack == .memory && !waitForDurable {
            // Answered as soon as the ring takes it, as the handler does; the counts are not known then.
            return committer.submit(submission)
                ? .success(SpoolReceipt(stored: messageIDs.count, duplicates: 0))
                : .failure(IngestError(.overloaded, "ring full"))
        }
        let acknowledgement = SpoolAcknowledgement()
        var waiting = submission
        waiting.acknowledgement = acknowledgement
        return committer.submit(waiting)
            ? await acknowledgement.result(until: SpoolCommitterTests.noShutdown)
            : .failure(IngestError(.overloaded, "ring full"))
    }

    /// Waits until the loader has committed everything durable so far.
    ///
    /// - Throws: ``Hung`` if the loader has not got there within ``HangGuard/limit``.
    func waitUntilLoaded() async throws {
        let target = server.committer.committedEnd
        let server = server
        try await HangGuard.bounded("the loader to commit everything durable (up to \(target))") {
            server.loader.waitUntilLoaded(target, timeout: $0)
        }
    }

    /// A power loss: `storage` stops at once, then both threads are stopped and the lock released.
    func crash(_ storage: FaultInjectingStorage) {
        storage.crash()
        stop()
    }

    /// Stops the threads as a graceful shutdown would (the committer drains its ring and syncs), without
    /// waiting for the loader to catch up.
    func stop() {
        server.committer.stop()
        server.loader.stop(drainUntil: nil)
        loaderStopped.wait()
        server.spool.unlock()
    }
}
