import Foundation
import SluiceHangGuard
import SluiceIngest
import SluiceSpool
import SluiceSpoolTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A group of requests bigger than one spool record whose second record starts a new segment: the rotation
/// fsyncs the full segment (with the group's first record) before it creates the next one, and that creation
/// fails. The requests of the first record are stored and must be answered so; a 503 for them would make
/// the client's retry store them twice.
@Suite struct RotationFailureTests {
    @Test func aFailedSegmentRotationAnswersWhatItMadeDurableAsStored() async throws {
        let harness = try IngestHarness(label: "rotationfail")
        let storage = FaultInjectingStorage()
        let configuration = harness.configuration {
            $0.spoolStorage = storage
            $0.spoolDirectory = "/var/lib/sluice/spool"
            // Far smaller than one record, so the group's second record finds the segment full.
            $0.spoolSegmentBytes = 64 << 10
            $0.dedupeCapacity = 200_000
        }
        let node = try SimulatedNode(configuration: configuration, projectID: harness.projectID)

        // The committer waits in its first fsync while 40 requests, about 6 MiB of rows (the committer cuts a
        // record at 4 MiB), queue behind it: they become one group of two records.
        storage.holdSyncs()
        let first = Task { await node.submit(["first"]) }
        try await HangGuard.wait(for: "the committer to reach its first fsync") { storage.heldSyncs >= 1 }
        let batches = (0..<40).map { batch in (0..<1_000).map { "r-\(batch)-\($0)" } }
        let answers = batches.map { ids in Task { (ids, await node.submit(ids)) } }
        try await HangGuard.wait(for: "the 40 requests to queue") { node.server.committer.queuedSubmissions == 40 }
        storage.failNext(.open, errno: ENOSPC, pathContaining: "00000000000000000001.seg")
        storage.releaseSyncs()

        #expect(try await first.value.get().stored == 1)
        var refused: [[String]] = []
        var stored = 0
        for answer in answers {
            let (ids, result) = await answer.value
            switch result {
            case .success(let receipt):
                #expect(receipt.stored == ids.count)
                stored += 1
            case .failure:
                refused.append(ids)
            }
        }
        // The group's first record was made durable by the rotation and answered; the second was refused.
        #expect(stored > 0, "every request of the group was refused, the durable ones too")
        #expect(!refused.isEmpty, "the failed segment creation refused nothing")

        // The clients retry what was refused, until the spool takes it again.
        for ids in refused {
            try await HangGuard.wait(for: "the spool to take a retried request") {
                if case .success = await node.submit(ids) { return true }
                return false
            }
        }
        try await node.waitUntilLoaded()
        node.stop()
        let counts = try harness.messageCounts()
        #expect(counts.count == 40_001, "an acknowledged event is missing")
        #expect(counts.values.allSatisfy { $0 == 1 }, "\(counts.values.filter { $0 > 1 }.count) events stored twice")
    }
}
