import Foundation
import Logging
import SluiceCore
import SluiceHangGuard
import SluiceLoader
import SluicePostgres
import SluiceSpool
import SluiceSpoolTesting
import SluiceStore
import SluiceTestSupport
import Testing

/// The loader and the spool's durability rules, against a real PostgreSQL and a fault-injecting spool
/// storage: never past the durable end, checkpoint-only moves past finished segments, and the spool's
/// identity checked whenever the checkpoint is read.
@Suite struct SpoolLoaderDurabilityTests {
    let fixture: LoaderFixture
    let storage = FaultInjectingStorage()
    let directory = "/srv/spool"

    init() throws {
        fixture = try LoaderFixture("durability")
    }

    func openSpool() throws -> SpoolDirectory {
        try SpoolDirectory.open(directory, storage: storage)
    }

    func loader(_ spool: SpoolDirectory) -> SpoolLoader {
        var configuration = LoaderConfiguration(
            connectionString: fixture.connectionString, spool: spool, nodeID: fixture.nodeID
        )
        configuration.retryDelays = .milliseconds(20) ... .milliseconds(200)
        configuration.idleDelay = .milliseconds(50)
        configuration.healthCheckInterval = .milliseconds(100)
        return SpoolLoader(configuration: configuration, logger: Logger(label: "test.loader"))
    }

    func segments() throws -> [UInt64] {
        try SpoolSegment.segments(in: directory, storage: storage).map(\.number)
    }

    func spoolID() throws -> String? {
        try fixture.database.query(
            "SELECT spool_id FROM sluice.spool_checkpoints WHERE node_id = $1", [fixture.nodeID]
        ).string(0, 0)
    }

    @Test func theLoaderNeverPassesTheDurableEnd() throws {
        let spool = try openSpool()
        let (writer, _) = try spool.openWriter(after: .start)
        let loader = loader(spool)
        let first = try writer.append(Payload.bytes(Payload.rows(0, 50)))
        try writer.sync()
        let second = try writer.append(Payload.bytes(Payload.rows(50, 50)))
        try writer.flush()

        #expect(try loader.committedPosition() == .start)
        #expect(try loader.loadAvailable().position == first)
        #expect(try loader.loadAvailable().records == 0)
        #expect(try fixture.count() == 50)
        #expect(try fixture.checkpoint()?.position == first)

        try writer.sync()
        #expect(try loader.loadAvailable().position == second)
        #expect(try fixture.count() == 100)
        #expect(try fixture.duplicates() == 0)
    }

    @Test func aCheckpointAtTheEndOfAFinishedSegmentMovesOnSoTheSegmentCanGo() throws {
        let spool = try openSpool()
        let (writer, _) = try spool.openWriter(after: .start)
        let loader = loader(spool)
        let end = try writer.append(Payload.bytes(Payload.rows(0, 20)))
        try writer.sync()
        _ = try loader.committedPosition()
        #expect(try loader.loadAvailable().position == end)
        #expect(try segments() == [0])

        // The writer leaves the segment (as after a failed write on a full disk) with nothing after it yet.
        try writer.startSegment(numbered: 0)
        let report = try loader.loadAvailable()
        #expect(report.records == 0)
        #expect(report.position == SpoolPosition(segment: 1, offset: 0))
        #expect(try fixture.checkpoint()?.position == SpoolPosition(segment: 1, offset: 0))
        #expect(try segments() == [1])
        #expect(try fixture.checkpoint()?.rows == 20)
    }

    @Test func theFirstLoaderClaimsTheRowAndLaterOnesFindTheirOwn() throws {
        let spool = try openSpool()
        _ = try loader(spool).committedPosition()
        #expect(try spoolID() == spool.identity.id)
        _ = try loader(spool).committedPosition()
        #expect(try spoolID() == spool.identity.id)
    }

    @Test func aRowOfAnOlderReleaseIsClaimedByTheSpoolThatExisted() throws {
        // The spool held segments before it had an identity; its checkpoint row has no id yet.
        let file = try storage.createSpoolSegment(directory, number: 4)
        try file.writeAll([])
        try file.sync()
        try fixture.database.execute(
            "INSERT INTO sluice.spool_checkpoints (node_id, segment, \"offset\") VALUES ('\(fixture.nodeID)', 4, 0)"
        )
        let spool = try openSpool()
        #expect(!spool.identity.createdEmpty)
        #expect(try loader(spool).committedPosition() == SpoolPosition(segment: 4, offset: 0))
        #expect(try spoolID() == spool.identity.id)
    }

    @Test func aWipedSpoolUnderAnAdvancedCheckpointIsRefused() throws {
        try fixture.database.execute(
            "INSERT INTO sluice.spool_checkpoints (node_id, segment, \"offset\", rows_loaded) "
                + "VALUES ('\(fixture.nodeID)', 7, 4096, 1000)"
        )
        let spool = try openSpool()
        #expect(spool.identity.createdEmpty)
        let error = #expect(throws: LoaderError.self) { try loader(spool).committedPosition() }
        #expect(error?.code == .spoolConflict)
        #expect(error?.message.contains("was created empty") == true)
        #expect(error?.message.contains("sluice spool reset-checkpoint --node-id \(fixture.nodeID)") == true)
        #expect(try spoolID() == nil)
    }

    @Test func aCheckpointOfAnotherSpoolStopsLoadingUntilItIsReset() throws {
        let spool = try openSpool()
        let (writer, _) = try spool.openWriter(after: .start)
        let end = try writer.append(Payload.bytes(Payload.rows(0, 30)))
        try writer.sync()
        try fixture.database.execute(
            "INSERT INTO sluice.spool_checkpoints (node_id, spool_id) VALUES ('\(fixture.nodeID)', 'another-spool')"
        )
        let loader = loader(spool)
        let running = RunningLoader(loader)
        try HangGuard.wait(for: "the loader to refuse the other spool's checkpoint") {
            if case .refused = loader.health { return true }
            return false
        }
        guard case .refused(let message) = loader.health else { return }
        #expect(message.contains("belongs to spool another-spool"))
        #expect(try fixture.count() == 0)
        #expect(try segments() == [0])
        try running.stop()

        let removed = try SpoolCheckpointStore.reset(nodeID: fixture.nodeID, on: fixture.database)
        #expect(removed?.spoolID == "another-spool")
        let again = self.loader(spool)
        _ = try again.committedPosition()
        #expect(try again.loadAvailable().position == end)
        #expect(try fixture.count() == 30)
    }

    @Test func theIdentityIsCheckedWhenTheDatabaseComesBack() throws {
        // An outage start: the loader could not read the checkpoint at start, and reads it only once the
        // database answers again, before it loads anything.
        let spool = try openSpool()
        let (writer, _) = try spool.openWriter(after: nil)
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.sync()
        try fixture.database.execute(
            "INSERT INTO sluice.spool_checkpoints (node_id, spool_id) VALUES ('\(fixture.nodeID)', 'another-spool')"
        )
        let admin = try PostgresConnection(try TestDatabase.cluster().connectionString())
        try admin.execute("ALTER DATABASE \(fixture.databaseName) ALLOW_CONNECTIONS false")
        let loader = loader(spool)
        let running = RunningLoader(loader)
        defer { try? running.stop() }
        try HangGuard.wait(for: "the loader to report the outage") {
            if case .databaseUnavailable = loader.health { return true }
            return false
        }
        try admin.execute("ALTER DATABASE \(fixture.databaseName) ALLOW_CONNECTIONS true")
        try HangGuard.wait(for: "the loader to check the checkpoint's spool") {
            if case .refused = loader.health { return true }
            return false
        }
        #expect(try fixture.count() == 0)
    }

    @Test func aCheckpointPastRecordsWrittenDuringAnOutageStartIsMovedBackOverThem() throws {
        // Before: 2 records loaded, checkpoint after the second.
        let spool = try openSpool()
        let (writer, _) = try spool.openWriter(after: .start)
        let first = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        let second = try writer.append(Payload.bytes(Payload.rows(10, 10)))
        try writer.sync()
        let loader = loader(spool)
        _ = try loader.committedPosition()
        #expect(try loader.loadAvailable().position == second)
        spool.unlock()

        // The spool comes back without the second record (a restored disk), and the server starts while the
        // database is unreachable, so it appends without knowing the checkpoint.
        let path = SpoolSegment(number: 0).path(in: directory)
        storage.overwrite(path, with: Array(try #require(storage.contents(atPath: path)).prefix(Int(first.offset))))
        let restarted = try openSpool()
        let (newWriter, _) = try restarted.openWriter(after: nil)
        let new = try newWriter.append(Payload.bytes(Payload.rows(100, 5)))
        try newWriter.sync()
        #expect(new < second, "the new record sits where the loader would skip it")

        let newLoader = self.loader(restarted)
        #expect(try newLoader.committedPosition() == first)
        #expect(try newLoader.loadAvailable().position == new)
        #expect(try fixture.count() == 25)
        #expect(try fixture.duplicates() == 0)
        #expect(try fixture.checkpoint()?.position == new)
        // Verified: a later read leaves the checkpoint alone.
        #expect(try self.loader(restarted).committedPosition() == new)
    }
}

extension FaultInjectingStorage {
    /// Creates segment `number` in `directory` (and the directory), durably, as an older release left it.
    func createSpoolSegment(_ directory: String, number: UInt64) throws -> any SpoolStorageFile {
        try createDirectory(directory)
        let file = try openForAppending(SpoolSegment(number: number).path(in: directory))
        try syncDirectory(directory)
        return file
    }
}
