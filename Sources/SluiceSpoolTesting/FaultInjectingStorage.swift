// SluiceSpoolTesting: a spool storage for tests that loses what was not synced at a simulated crash and
// injects errors (a full disk, EIO, a held fsync) at chosen operations. Not used by the server.

import Foundation
import SluiceSpool
import SluiceTestSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An in-memory file system that keeps, per file, what was fsync'd and, per directory, which entries a
/// directory fsync made durable, so that a simulated power loss (``crash()``, then ``restart(unsynced:entries:)``)
/// keeps exactly what POSIX promises to keep: LevelDB's `FaultInjectionTestEnv` and RocksDB's
/// `FaultInjectionTestFS` do the same for their storage engines.
///
/// It also injects faults: an error (`ENOSPC`, `EIO`, …) at the next operations of a kind
/// (``failNext(_:errno:times:pathContaining:)``), a capacity past which writes fail with `ENOSPC` after
/// writing what fits (``setCapacity(_:)``), and fsyncs that block until released (``holdSyncs()``), so a
/// test can hold a server mid-commit.
///
/// A crash stops the storage: from the operation ``crash(afterOperations:)`` names (or from ``crash()``),
/// every operation fails with `EIO` and changes nothing, as if the machine had stopped; threads still
/// running see only failures. ``restart(unsynced:entries:)`` then replaces each file's content with what
/// was synced (optionally plus a random prefix of the unsynced appended bytes, as a torn write leaves it),
/// optionally forgets directory entries no directory fsync covered, drops every lock (the process died),
/// and lets operations run again. Files opened before the crash stay dead.
///
/// Thread safety: any thread; everything sits behind one `NSCondition`, which also wakes held fsyncs.
/// That is the documented protocol behind `@unchecked Sendable`.
package final class FaultInjectingStorage: SpoolStorage, @unchecked Sendable {
    /// The kinds of operation, for faults and for the log.
    package enum Operation: String, Sendable, CaseIterable {
        case open, read, write, sync, truncate, syncDirectory, createDirectory, list, stat, remove, rename, lock
    }

    /// What happens to the bytes written but not synced when the storage restarts after a crash.
    package enum UnsyncedData: Sendable {
        /// They are gone: each file holds exactly what was synced.
        case dropped
        /// A prefix of them of random length survives, chosen by a generator seeded with this value.
        case randomPrefix(seed: UInt64)
        /// They all survive, still unsynced: the process died (`kill -9`) but the machine did not, so the
        /// page cache keeps them and a later power loss may still take them.
        case keptInPageCache
    }

    /// What happens to directory entries (files created, renamed or removed) not made durable by a
    /// directory fsync.
    package enum UnsyncedEntries: Sendable {
        /// They survive, as ext4 and XFS usually manage.
        case kept
        /// They are undone: new files vanish, removed ones come back.
        case lost
    }

    private let condition = NSCondition()
    private var root = DirectoryNode()
    private var operationCount = 0
    private var crashAt: Int?
    private var crashed = false
    /// Incremented by each restart; a file opened in an earlier epoch is dead.
    private var epoch = 0
    private var faults: [Fault] = []
    private var capacity: UInt64?
    private var holding = false
    private var heldCount = 0
    private var releaseError: Int32?
    private var releaseGeneration = 0
    private var locks: [String: Int] = [:]
    private var nextLockGeneration = 0
    private var log: [(operation: Operation, path: String)] = []

    private struct Fault {
        var operation: Operation
        var errno: Int32
        var remaining: Int
        var pathContaining: String?
    }

    package init(capacity: UInt64? = nil) {
        self.capacity = capacity
    }

    // MARK: - Faults

    /// Makes the next `times` operations of kind `operation` (on a path containing `pathContaining`, if
    /// given) fail with `errno`, changing nothing (a write writes nothing).
    package func failNext(_ operation: Operation, errno: Int32, times: Int = 1, pathContaining: String? = nil) {
        withState {
            $0.faults.append(
                Fault(operation: operation, errno: errno, remaining: times, pathContaining: pathContaining))
        }
    }

    /// Removes every pending ``failNext(_:errno:times:pathContaining:)`` fault.
    package func clearFaults() {
        withState { $0.faults.removeAll() }
    }

    /// Limits the bytes all files may hold together; a write past it writes what fits, then fails with
    /// `ENOSPC`. Nil removes the limit.
    package func setCapacity(_ bytes: UInt64?) {
        withState { $0.capacity = bytes }
    }

    /// Makes every fsync of a file from now on block until ``releaseSyncs(failing:)``.
    package func holdSyncs() {
        withState { $0.holding = true }
    }

    /// Lets the held fsyncs (and later ones) through: they complete, or fail with `errno` if one is given.
    package func releaseSyncs(failing errno: Int32? = nil) {
        withState {
            $0.holding = false
            $0.releaseError = errno
            $0.releaseGeneration += 1
            $0.condition.broadcast()
        }
    }

    /// The fsyncs blocked in ``holdSyncs()`` right now.
    package var heldSyncs: Int { withState { $0.heldCount } }

    // MARK: - Crashes

    /// Crashes the storage at the `count`-th operation from now (1 for the very next one): it and every
    /// later operation fail without effect.
    package func crash(afterOperations count: Int) {
        withState { $0.crashAt = $0.operationCount + max(1, count) }
    }

    /// Crashes the storage now.
    package func crash() {
        withState { $0.crashNow() }
    }

    /// Whether the storage has crashed (and not restarted since).
    package var hasCrashed: Bool { withState { $0.crashed } }

    /// Operations attempted so far, failed ones included.
    package var operations: Int { withState { $0.operationCount } }

    /// Every operation attempted, in order, with its path.
    package var operationLog: [(operation: Operation, path: String)] { withState { $0.log } }

    /// Simulates the machine coming back after the crash (or after a power loss at this moment, if it
    /// did not crash): keeps what was synced, and what `unsynced` and `entries` say of the rest
    /// (`entries` does not apply to ``UnsyncedData/keptInPageCache``, where everything stays).
    package func restart(unsynced: UnsyncedData = .dropped, entries: UnsyncedEntries = .kept) {
        withState { state in
            var random: SplitMix64? = nil
            if case .randomPrefix(let seed) = unsynced { random = SplitMix64(seed: seed) }
            if case .keptInPageCache = unsynced {
                // Nothing is lost and nothing becomes durable; only the process is gone.
            } else {
                state.root.restore(losingUnsyncedEntries: entries == .lost, random: &random)
            }
            state.crashed = false
            state.crashAt = nil
            state.epoch += 1
            state.locks.removeAll()
            state.holding = false
            state.releaseGeneration += 1
            state.faults.removeAll()
            state.condition.broadcast()
        }
    }

    // MARK: - Inspection

    /// The current content of the file at `path` (what a reader sees), or nil.
    package func contents(atPath path: String) -> [UInt8]? {
        withState { state in state.root.file(at: Self.components(path))?.data }
    }

    /// The synced content of the file at `path` (what a crash keeps), or nil.
    package func syncedContents(atPath path: String) -> [UInt8]? {
        withState { state in state.root.file(at: Self.components(path))?.synced }
    }

    /// Bytes held by all files.
    package var usedBytes: UInt64 { withState { $0.root.usedBytes } }

    /// Replaces the content of an existing file outright (synced), as a restored backup would; for tests.
    package func overwrite(_ path: String, with bytes: [UInt8]) {
        withState { state in
            guard let file = state.root.file(at: Self.components(path)) else { return }
            file.data = bytes
            file.synced = bytes
        }
    }

    // MARK: - SpoolStorage

    package func openForReading(_ path: String) throws(SpoolError) -> (any SpoolStorageFile)? {
        try perform(.open, path) { state throws(SpoolError) -> (any SpoolStorageFile)? in
            guard let node = state.root.file(at: Self.components(path)) else { return nil }
            return MemoryFile(storage: self, node: node, path: path, epoch: state.epoch)
        }
    }

    package func openForUpdate(_ path: String) throws(SpoolError) -> any SpoolStorageFile {
        try perform(.open, path) { state throws(SpoolError) -> any SpoolStorageFile in
            guard let node = state.root.file(at: Self.components(path)) else {
                throw SpoolError(.io, "cannot open \(path)", errno: ENOENT)
            }
            return MemoryFile(storage: self, node: node, path: path, epoch: state.epoch)
        }
    }

    package func openForAppending(_ path: String) throws(SpoolError) -> any SpoolStorageFile {
        try perform(.open, path) { state throws(SpoolError) -> any SpoolStorageFile in
            let node = try state.root.createFile(at: Self.components(path), path: path)
            return MemoryFile(storage: self, node: node, path: path, epoch: state.epoch)
        }
    }

    package func syncDirectory(_ path: String) throws(SpoolError) {
        try perform(.syncDirectory, path) { state throws(SpoolError) in
            guard let directory = state.root.directory(at: Self.components(path)) else {
                throw SpoolError(.io, "cannot open \(path)", errno: ENOENT)
            }
            directory.synced = directory.children
        }
    }

    package func createDirectory(_ path: String) throws(SpoolError) {
        try perform(.createDirectory, path) { state throws(SpoolError) in
            try state.root.createDirectory(at: Self.components(path), path: path)
        }
    }

    package func names(inDirectory path: String) throws(SpoolError) -> [String] {
        try perform(.list, path) { state throws(SpoolError) in
            guard let directory = state.root.directory(at: Self.components(path)) else {
                throw SpoolError(.io, "cannot list \(path)", errno: ENOENT)
            }
            return Array(directory.children.keys)
        }
    }

    package func size(of path: String) throws(SpoolError) -> UInt64 {
        try perform(.stat, path) { state throws(SpoolError) in
            guard let file = state.root.file(at: Self.components(path)) else {
                throw SpoolError(.io, "cannot stat \(path)", errno: ENOENT)
            }
            return UInt64(file.data.count)
        }
    }

    package func remove(_ path: String) throws(SpoolError) {
        try perform(.remove, path) { state throws(SpoolError) in
            let components = Self.components(path)
            guard let name = components.last, let directory = state.root.directory(at: components.dropLast()) else {
                return
            }
            directory.children[name] = nil
        }
    }

    package func rename(_ source: String, to destination: String) throws(SpoolError) {
        try perform(.rename, source) { state throws(SpoolError) in
            let from = Self.components(source)
            let to = Self.components(destination)
            guard let fromName = from.last, let fromDirectory = state.root.directory(at: from.dropLast()),
                let node = fromDirectory.children[fromName], let toName = to.last,
                let toDirectory = state.root.directory(at: to.dropLast())
            else {
                throw SpoolError(.io, "cannot rename \(source) to \(destination)", errno: ENOENT)
            }
            fromDirectory.children[fromName] = nil
            toDirectory.children[toName] = node
        }
    }

    package func lockExclusively(_ path: String) throws(SpoolError) -> (any SpoolStorageLock)? {
        try perform(.lock, path) { state throws(SpoolError) -> (any SpoolStorageLock)? in
            _ = try state.root.createFile(at: Self.components(path), path: path)
            guard state.locks[path] == nil else { return nil }
            state.nextLockGeneration += 1
            state.locks[path] = state.nextLockGeneration
            return MemoryLock(storage: self, path: path, generation: state.nextLockGeneration)
        }
    }

    // MARK: - Files

    fileprivate func fileOperation<T>(
        _ operation: Operation, _ file: MemoryFile, _ body: (FaultInjectingStorage, FileNode) throws(SpoolError) -> T
    ) throws(SpoolError) -> T {
        try perform(operation, file.path) { state throws(SpoolError) -> T in
            guard file.epoch == state.epoch else {
                throw SpoolError(.io, "\(file.path) was opened before the simulated crash", errno: EIO)
            }
            return try body(state, file.node)
        }
    }

    fileprivate func write(_ bytes: [UInt8], to file: MemoryFile) throws(SpoolError) {
        try fileOperation(.write, file) { state, node throws(SpoolError) in
            var count = bytes.count
            if let capacity = state.capacity {
                let used = state.root.usedBytes
                count = min(count, Int(capacity > used ? capacity - used : 0))
            }
            node.data += bytes.prefix(count)
            if count < bytes.count {
                throw SpoolError(.io, "cannot write \(file.path)", errno: ENOSPC)
            }
        }
    }

    fileprivate func sync(_ file: MemoryFile) throws(SpoolError) {
        try fileOperation(.sync, file) { state, node throws(SpoolError) in
            if state.holding {
                let generation = state.releaseGeneration
                state.heldCount += 1
                state.condition.broadcast()
                while state.releaseGeneration == generation && !state.crashed {
                    state.condition.wait()
                }
                state.heldCount -= 1
                if state.crashed || file.epoch != state.epoch {
                    throw SpoolError(.io, "cannot fsync \(file.path): simulated power loss", errno: EIO)
                }
                if let errno = state.releaseError {
                    throw SpoolError(.io, "cannot fsync \(file.path)", errno: errno)
                }
            }
            node.synced = node.data
        }
    }

    fileprivate func releaseLock(_ path: String, generation: Int) {
        withState { state in
            if state.locks[path] == generation { state.locks[path] = nil }
        }
    }

    // MARK: - The state

    /// Counts the operation, applies a crash or a fault, then runs `body` under the lock.
    private func perform<T>(
        _ operation: Operation, _ path: String, _ body: (FaultInjectingStorage) throws(SpoolError) -> T
    ) throws(SpoolError) -> T {
        condition.lock()
        defer { condition.unlock() }
        operationCount += 1
        log.append((operation, path))
        if let crashAt, operationCount >= crashAt { crashNow() }
        if crashed {
            throw SpoolError(.io, "\(operation.rawValue) \(path): simulated power loss", errno: EIO)
        }
        if let index = faults.firstIndex(where: { fault in
            fault.operation == operation && fault.remaining > 0
                && fault.pathContaining.map { path.contains($0) } ?? true
        }) {
            faults[index].remaining -= 1
            let errno = faults[index].errno
            if faults[index].remaining == 0 { faults.remove(at: index) }
            throw SpoolError(.io, "\(operation.rawValue) \(path) (injected)", errno: errno)
        }
        return try body(self)
    }

    private func crashNow() {
        crashed = true
        condition.broadcast()
    }

    private func withState<T>(_ body: (FaultInjectingStorage) -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body(self)
    }

    private static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." }
    }
}

// MARK: - The in-memory tree

/// A file's bytes: what readers see, and what the last fsync made durable.
fileprivate final class FileNode {
    var data: [UInt8] = []
    var synced: [UInt8] = []
}

/// A directory's entries, and the entries the last directory fsync made durable.
fileprivate final class DirectoryNode {
    var children: [String: Node] = [:]
    var synced: [String: Node] = [:]

    var usedBytes: UInt64 {
        children.values.reduce(0) { total, child in
            switch child {
            case .file(let file): total + UInt64(file.data.count)
            case .directory(let directory): total + directory.usedBytes
            }
        }
    }

    func directory(at components: some Collection<String>) -> DirectoryNode? {
        var current = self
        for name in components {
            guard case .directory(let next) = current.children[name] else { return nil }
            current = next
        }
        return current
    }

    func file(at components: [String]) -> FileNode? {
        guard let name = components.last, let directory = directory(at: components.dropLast()),
            case .file(let file) = directory.children[name]
        else { return nil }
        return file
    }

    /// The file at `components`, created empty (its entry not yet durable) if missing.
    func createFile(at components: [String], path: String) throws(SpoolError) -> FileNode {
        guard let name = components.last, let directory = directory(at: components.dropLast()) else {
            throw SpoolError(.io, "cannot open \(path)", errno: ENOENT)
        }
        switch directory.children[name] {
        case .file(let file): return file
        case .directory: throw SpoolError(.io, "cannot open \(path)", errno: EISDIR)
        case nil:
            let file = FileNode()
            directory.children[name] = .file(file)
            return file
        }
    }

    /// `mkdir -p`: parents created on the way count as durable (they stand for directories a real system
    /// already has); the last one's entry is durable only after its parent's directory fsync.
    func createDirectory(at components: [String], path: String) throws(SpoolError) {
        var current = self
        for (index, name) in components.enumerated() {
            switch current.children[name] {
            case .directory(let next):
                current = next
            case .file:
                throw SpoolError(.io, "cannot create the directory \(path)", errno: ENOTDIR)
            case nil:
                let next = DirectoryNode()
                current.children[name] = .directory(next)
                if index < components.count - 1 { current.synced[name] = .directory(next) }
                current = next
            }
        }
    }

    /// The state after a power loss: see ``FaultInjectingStorage/restart(unsynced:entries:)``.
    func restore(losingUnsyncedEntries: Bool, random: inout SplitMix64?) {
        if losingUnsyncedEntries { children = synced }
        synced = children
        for child in children.values {
            switch child {
            case .file(let file):
                var kept = file.synced
                if var generator = random, file.data.count > file.synced.count, file.data.starts(with: file.synced) {
                    let extra = file.data.count - file.synced.count
                    kept += file.data[file.synced.count..<file.synced.count + Int(generator.next() % UInt64(extra + 1))]
                    random = generator
                }
                file.data = kept
                file.synced = kept
            case .directory(let directory):
                directory.restore(losingUnsyncedEntries: losingUnsyncedEntries, random: &random)
            }
        }
    }
}

fileprivate enum Node {
    case file(FileNode)
    case directory(DirectoryNode)
}

/// An open file of a ``FaultInjectingStorage``.
fileprivate final class MemoryFile: SpoolStorageFile {
    let storage: FaultInjectingStorage
    let node: FileNode
    let path: String
    let epoch: Int

    init(storage: FaultInjectingStorage, node: FileNode, path: String, epoch: Int) {
        self.storage = storage
        self.node = node
        self.path = path
        self.epoch = epoch
    }

    func size() throws(SpoolError) -> UInt64 {
        try storage.fileOperation(.stat, self) { _, node in UInt64(node.data.count) }
    }

    func read(count: Int, at offset: UInt64) throws(SpoolError) -> [UInt8] {
        try storage.fileOperation(.read, self) { _, node in
            guard offset < UInt64(node.data.count) else { return [] }
            let start = Int(offset)
            return Array(node.data[start..<min(node.data.count, start + count)])
        }
    }

    func writeAll(_ bytes: [UInt8]) throws(SpoolError) {
        try storage.write(bytes, to: self)
    }

    func sync() throws(SpoolError) {
        try storage.sync(self)
    }

    func truncate(to length: UInt64) throws(SpoolError) {
        try storage.fileOperation(.truncate, self) { _, node in
            let length = Int(length)
            if length < node.data.count {
                node.data.removeSubrange(length...)
            } else {
                node.data += repeatElement(0, count: length - node.data.count)
            }
        }
    }
}

/// A held lock of a ``FaultInjectingStorage``; a restart (the process died) drops it, and releasing a
/// lock from before the restart leaves the new holder alone.
fileprivate final class MemoryLock: SpoolStorageLock {
    let storage: FaultInjectingStorage
    let path: String
    let generation: Int

    init(storage: FaultInjectingStorage, path: String, generation: Int) {
        self.storage = storage
        self.path = path
        self.generation = generation
    }

    deinit {
        storage.releaseLock(path, generation: generation)
    }
}
