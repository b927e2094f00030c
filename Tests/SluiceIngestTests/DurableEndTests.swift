import Foundation
import SluiceHangGuard
import Logging
import SluiceIngest
import SluicePostgres
import SluiceSpool
import SluiceSpoolTesting
import Testing

/// The loader never commits a checkpoint past what the spool has fsync'd, so a power loss cannot leave the
/// checkpoint ahead of the spool, and the restart after one works, with `--ack memory` too.
@Suite struct DurableEndTests {
    @Test func aCheckpointNeverPassesTheFsyncedEndAndAPowerLossRestartsCleanly() async throws {
        let harness = try IngestHarness(label: "durableend")
        let storage = FaultInjectingStorage()
        let configuration = harness.configuration {
            $0.ack = .memory
            $0.spoolStorage = storage
            $0.spoolDirectory = "/var/lib/sluice/spool"
            $0.dedupeCapacity = 10_000
        }
        var logger = Logger(label: "sluice-test")
        logger.logLevel = .critical
        let server = try IngestServer(
            configuration: configuration, secret: Array(repeating: 1, count: 32), logger: logger)
        server.committer.start()
        let node = SimulatedNode.Handle(server: server, projectID: harness.projectID)

        // A: acknowledged at once (--ack memory), synced within 200 ms, loaded.
        let first = (0..<40).map { "a-\($0)" }
        _ = try await node.submit(first).get()
        try await HangGuard.wait(for: "the memory-mode sync") { server.committer.committedEnd > .start }
        _ = try server.loader.committedPosition()
        #expect(try server.loader.loadAvailable().rows == 40)

        // B: acknowledged, written to the file by the committer, whose fsync the disk holds.
        storage.holdSyncs()
        _ = try await node.submit((0..<40).map { "b-\($0)" }).get()
        try await HangGuard.wait(for: "the committer to reach its fsync") { storage.heldSyncs >= 1 }
        let segment = SpoolSegment(number: 0).path(in: configuration.spoolDirectory)
        let synced = try #require(storage.syncedContents(atPath: segment)).count
        #expect(try #require(storage.contents(atPath: segment)).count > synced, "B is in the file, not durable")

        // The loader may load only what is durable: nothing of B.
        let report = try server.loader.loadAvailable()
        #expect(report.records == 0)
        let checkpoint = try #require(try harness.checkpoint(nodeID: configuration.nodeID))
        #expect(
            checkpoint.segment == 0 && checkpoint.offset <= UInt64(synced), "checkpoint \(checkpoint) past \(synced)")

        // Power loss: B was never durable and is gone (acknowledged only in memory, as --ack memory says).
        storage.crash()
        server.committer.stop()
        server.spool.unlock()
        storage.restart(unsynced: .dropped)

        let restarted = try SimulatedNode(configuration: configuration, projectID: harness.projectID)
        #expect(restarted.server.startReport.checkpointGap == nil)
        try await restarted.waitUntilLoaded()
        restarted.stop()
        let counts = try harness.messageCounts()
        #expect(counts.count == 40 && counts.values.allSatisfy { $0 == 1 })
        #expect(first.allSatisfy { counts[$0] == 1 })
    }
}

extension SimulatedNode {
    /// Submits to a server whose threads the test runs itself.
    struct Handle {
        let server: IngestServer
        let projectID: Int64

        func submit(_ messageIDs: [String]) async -> Result<SpoolReceipt, IngestError> {
            await SimulatedNode.submit(messageIDs, projectID: projectID, to: server)
        }
    }
}

extension IngestHarness {
    /// The committed checkpoint of `nodeID`, if its row exists.
    func checkpoint(nodeID: String) throws -> SpoolPosition? {
        let result = try connection().query(
            #"SELECT segment, "offset" FROM sluice.spool_checkpoints WHERE node_id = $1"#, [nodeID]
        )
        guard result.rowCount == 1, let segment = try result.int(0, 0), let offset = try result.int(0, 1) else {
            return nil
        }
        return SpoolPosition(segment: UInt64(segment), offset: UInt64(offset))
    }
}
