import Foundation
import SluiceHangGuard
import SluiceSpool
import SluiceSpoolTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The test storage keeps what POSIX promises after a power loss, and no more: the spool's crash tests are
/// only as good as this.
@Suite struct FaultInjectingStorageTests {
    let storage = FaultInjectingStorage()

    init() throws {
        try storage.createDirectory("/data/spool")
        try storage.syncDirectory("/data")
    }

    @Test func aCrashKeepsOnlyWhatWasSynced() throws {
        let file = try storage.openForAppending("/data/spool/a")
        try storage.syncDirectory("/data/spool")
        try file.writeAll([1, 2, 3])
        try file.sync()
        try file.writeAll([4, 5])
        #expect(storage.contents(atPath: "/data/spool/a") == [1, 2, 3, 4, 5])
        storage.crash()
        #expect(throws: SpoolError.self) { try file.writeAll([6]) }
        #expect(throws: SpoolError.self) { try storage.names(inDirectory: "/data/spool") }
        storage.restart()
        #expect(storage.contents(atPath: "/data/spool/a") == [1, 2, 3])
        // A file opened before the crash stays dead; a new open works.
        #expect(throws: SpoolError.self) { try file.size() }
        #expect(try storage.openForReading("/data/spool/a")?.size() == 3)
    }

    @Test func aRandomPrefixOfTheUnsyncedTailMaySurvive() throws {
        var kept: Set<Int> = []
        for seed in UInt64(0)..<40 {
            let storage = FaultInjectingStorage()
            try storage.createDirectory("/d")
            let file = try storage.openForAppending("/d/a")
            try storage.syncDirectory("/d")
            try file.writeAll([1, 2])
            try file.sync()
            try file.writeAll([3, 4, 5, 6])
            storage.crash()
            storage.restart(unsynced: .randomPrefix(seed: seed))
            let content = try #require(storage.contents(atPath: "/d/a"))
            #expect(Array(content.prefix(2)) == [1, 2])
            #expect(content == Array([1, 2, 3, 4, 5, 6].prefix(content.count)))
            kept.insert(content.count)
        }
        #expect(kept.count > 2, "only lengths \(kept) survived in 40 seeds")
    }

    @Test func unsyncedDirectoryEntriesAreLostOnlyWhenAsked() throws {
        _ = try storage.openForAppending("/data/spool/synced")
        try storage.syncDirectory("/data/spool")
        _ = try storage.openForAppending("/data/spool/unsynced")
        try storage.remove("/data/spool/synced")
        storage.crash()
        storage.restart(entries: .lost)
        #expect(try storage.names(inDirectory: "/data/spool").sorted() == ["synced"])

        _ = try storage.openForAppending("/data/spool/new")
        storage.crash()
        storage.restart(entries: .kept)
        #expect(try storage.names(inDirectory: "/data/spool").sorted() == ["new", "synced"])
    }

    @Test func aDirectoryIsDurableOnlyOnceItsParentIsSynced() throws {
        try storage.createDirectory("/data/other")
        try storage.createDirectory("/data/synced")
        try storage.syncDirectory("/data")
        try storage.createDirectory("/data/late")
        storage.crash()
        storage.restart(entries: .lost)
        #expect(try storage.names(inDirectory: "/data").sorted() == ["other", "spool", "synced"])
        #expect(throws: SpoolError.self) { try storage.names(inDirectory: "/data/late") }
        // Parents made on the way stand for directories a real system already has.
        try storage.createDirectory("/x/y/z")
        storage.crash()
        storage.restart(entries: .lost)
        #expect(try storage.names(inDirectory: "/x/y").isEmpty)
    }

    @Test func theCrashPointIsCountedInOperations() throws {
        let file = try storage.openForAppending("/data/spool/a")
        storage.crash(afterOperations: 3)
        try file.writeAll([1])
        try file.writeAll([2])
        #expect(!storage.hasCrashed)
        #expect(throws: SpoolError.self) { try file.writeAll([3]) }
        #expect(storage.hasCrashed)
        #expect(storage.contents(atPath: "/data/spool/a") == [1, 2])
    }

    @Test func aFullDiskWritesWhatFitsThenFailsWithENOSPC() throws {
        storage.setCapacity(10)
        let file = try storage.openForAppending("/data/spool/a")
        try file.writeAll(Array(repeating: 1, count: 6))
        let error = #expect(throws: SpoolError.self) { try file.writeAll(Array(repeating: 2, count: 6)) }
        #expect(error?.errno == ENOSPC)
        #expect(try file.size() == 10)
        try file.truncate(to: 6)
        try file.writeAll([3, 3])
        #expect(try file.size() == 8)
    }

    @Test func injectedErrorsHitTheChosenOperationsOnly() throws {
        let file = try storage.openForAppending("/data/spool/a")
        storage.failNext(.sync, errno: EIO, times: 2, pathContaining: "/a")
        try file.writeAll([1])
        let error = #expect(throws: SpoolError.self) { try file.sync() }
        #expect(error?.errno == EIO)
        #expect(throws: SpoolError.self) { try file.sync() }
        try file.sync()
        #expect(storage.syncedContents(atPath: "/data/spool/a") == [1])
    }

    @Test func aHeldFsyncBlocksUntilReleased() async throws {
        let file = try storage.openForAppending("/data/spool/a")
        try file.writeAll([1])
        storage.holdSyncs()
        let done = SyncOutcome()
        let handle = FileHandleBox(file)
        let thread = Thread {
            do {
                try handle.file.sync()
                done.set("synced")
            } catch {
                done.set("failed: \(error)")
            }
        }
        thread.start()
        try await HangGuard.wait(for: "the fsync to reach the storage") { storage.heldSyncs >= 1 }
        #expect(done.value == nil)
        #expect(storage.syncedContents(atPath: "/data/spool/a") == [])
        storage.releaseSyncs()
        try await HangGuard.wait(for: "the released fsync to return") { done.value != nil }
        #expect(done.value == "synced")
        #expect(storage.syncedContents(atPath: "/data/spool/a") == [1])
    }

    @Test func locksAreExclusiveAndDieWithTheProcess() throws {
        var first = try storage.lockExclusively("/data/spool/lock")
        #expect(first != nil)
        #expect(try storage.lockExclusively("/data/spool/lock") == nil)
        first = nil
        var second = try storage.lockExclusively("/data/spool/lock")
        #expect(second != nil)
        storage.crash()
        storage.restart()
        // The process that held `second` is gone; releasing it later must not free the new holder's lock.
        let third = try storage.lockExclusively("/data/spool/lock")
        #expect(third != nil)
        second = nil
        #expect(second == nil)
        #expect(try storage.lockExclusively("/data/spool/lock") == nil)
        withExtendedLifetime(third) {}
    }

    @Test func renameReplacesAndIsDurableWithTheDirectory() throws {
        try storage.replaceFile("/data/spool/id", with: [1])
        try storage.replaceFile("/data/spool/id", with: [2, 2])
        storage.crash()
        storage.restart(entries: .lost)
        #expect(try storage.contents(of: "/data/spool/id") == [2, 2])
        #expect(try storage.names(inDirectory: "/data/spool") == ["id"])
    }
}

/// Hands a file to one other thread, which alone uses it from then on.
final class FileHandleBox: @unchecked Sendable {
    let file: any SpoolStorageFile
    init(_ file: any SpoolStorageFile) { self.file = file }
}

/// A value set once from another thread.
final class SyncOutcome: @unchecked Sendable {
    private let condition = NSCondition()
    private var stored: String?

    var value: String? {
        condition.lock()
        defer { condition.unlock() }
        return stored
    }

    func set(_ value: String) {
        condition.lock()
        stored = value
        condition.broadcast()
        condition.unlock()
    }
}
