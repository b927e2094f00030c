import Synchronization

/// A spool directory opened by the one process that may use it: locked, its torn tail cut, everything in
/// it made durable, its identity read or created.
///
/// ## Opening, in this order
/// 1. The directory is created if missing, and an exclusive `flock` taken on its file `lock` before
///    anything else is read or changed: two servers on one spool would append to the same segment and
///    load it twice. The kernel drops the lock when the process dies, however it dies.
/// 2. ``SpoolRecovery`` cuts a torn tail off the last segment.
/// 3. The last segment, the directory and its parent are fsync'd. A process killed before its fsync
///    leaves written pages in the page cache, where the next start's readers see them; a power loss
///    after that start could still take them back. Once they are fsync'd, everything present at start
///    is durable, so the start-up readers (the dedupe rebuild) may read to the end of the files.
/// 4. The identity (``SpoolIdentity``) is read, or created durably for a new spool.
///
/// ## The writer and the checkpoint
/// ``openWriter(segmentBytes:level:after:)`` makes sure no record is ever written at or before the
/// committed checkpoint, where the loader would skip it. If the spool is found shorter than the
/// checkpoint (a restored disk, a lost tail: the checkpoint's segment is shorter than its offset, or gone,
/// or every segment is older), the writer starts a fresh segment numbered after the checkpoint's, and the
/// reader moves past the short one (``SpoolReader``). When the checkpoint is not known at start (the
/// database is down), the first position appended from then on is recorded durably in the file
/// `unverified-from`; ``verify(checkpoint:)``, called when the loader reads its checkpoint, then tells the
/// loader to move a checkpoint that is past it back to it, since every record from there on is new.
///
/// Thread safety: any thread. The lock and the unverified position sit behind a mutex.
package final class SpoolDirectory: Sendable {
    /// The directory's path.
    package let path: String
    /// The file system it lives on.
    package let storage: any SpoolStorage
    /// The spool's identity, as its file says.
    package let identity: SpoolIdentity
    /// What recovery found and cut at open.
    package let recovery: SpoolRecovery.RecoveryReport
    /// The durable end, published by the writer after each fsync; the loader reads up to it.
    package let durableEnd: SpoolDurableEnd

    private let state: Mutex<State>

    private struct State: Sendable {
        var lock: (any SpoolStorageLock)?
        var unverifiedFrom: SpoolPosition?
    }

    /// The lock file's name inside the directory.
    package static let lockFileName = "lock"
    /// The file that records the first position appended while the checkpoint was unknown.
    package static let unverifiedFileName = "unverified-from"

    private init(
        path: String, storage: any SpoolStorage, identity: SpoolIdentity, recovery: SpoolRecovery.RecoveryReport,
        lock: any SpoolStorageLock, unverifiedFrom: SpoolPosition?
    ) {
        self.path = path
        self.storage = storage
        self.identity = identity
        self.recovery = recovery
        self.durableEnd = SpoolDurableEnd()
        self.state = Mutex(State(lock: lock, unverifiedFrom: unverifiedFrom))
    }

    /// Opens (creating if missing) the spool directory at `path` for this process; see the steps above.
    ///
    /// - Throws: ``SpoolError/Code/locked`` when another process holds the directory (nothing has been
    ///   touched then); ``SpoolError/Code/corruptRecord`` for damage recovery will not cut;
    ///   ``SpoolError/Code/io`` when a step fails.
    package static func open(_ path: String, storage: any SpoolStorage = PosixSpoolStorage()) throws(SpoolError)
        -> SpoolDirectory
    {
        try storage.createDirectory(path)
        guard let lock = try storage.lockExclusively(file(lockFileName, in: path)) else {
            throw SpoolError(
                .locked,
                "another sluice process is using the spool directory \(path); stop it, or give this server "
                    + "a --spool-dir of its own"
            )
        }
        let hadSegments = try !SpoolSegment.segments(in: path, storage: storage).isEmpty
        let recovery = try SpoolRecovery.repair(directory: path, storage: storage)
        if let last = try SpoolSegment.segments(in: path, storage: storage).last {
            try storage.openForUpdate(last.path(in: path)).sync()
        }
        try storage.syncDirectory(path)
        try storage.syncDirectory(parent(of: path))

        let identity: SpoolIdentity
        let identityPath = file(SpoolIdentity.fileName, in: path)
        if let bytes = try storage.contents(of: identityPath) {
            guard let read = SpoolIdentity(fileText: String(decoding: bytes, as: UTF8.self)) else {
                throw SpoolError(
                    .corruptRecord,
                    "\(identityPath) does not hold a spool identity; restore it, or move the spool directory "
                        + "aside if it is not a spool"
                )
            }
            identity = read
        } else {
            identity = .random(createdEmpty: !hadSegments)
            try storage.replaceFile(identityPath, with: Array(identity.fileText.utf8))
        }

        let unverifiedPath = file(unverifiedFileName, in: path)
        var unverified: SpoolPosition?
        if let bytes = try storage.contents(of: unverifiedPath) {
            guard let position = SpoolPosition(text: String(decoding: bytes, as: UTF8.self)) else {
                throw SpoolError(.corruptRecord, "\(unverifiedPath) does not hold a spool position")
            }
            unverified = position
        }
        return SpoolDirectory(
            path: path, storage: storage, identity: identity, recovery: recovery, lock: lock,
            unverifiedFrom: unverified
        )
    }

    /// Releases the directory's lock; call it once nothing reads or writes the spool any more (the lock
    /// also goes when this object does, and when the process dies).
    package func unlock() {
        state.withLock { $0.lock = nil }
    }

    // MARK: - The writer

    /// Where the checkpoint pointed past the data the spool holds, and where new records start instead.
    package struct CheckpointGap: Sendable, Equatable, CustomStringConvertible {
        /// The committed checkpoint.
        package var checkpoint: SpoolPosition
        /// The size of the checkpoint's segment, or nil if it is gone.
        package var segmentBytes: UInt64?
        /// The last segment present, or nil if there is none.
        package var lastSegment: UInt64?
        /// Where the first new record will start.
        package var appendsFrom: SpoolPosition

        package var description: String {
            let found =
                if let segmentBytes {
                    "segment \(checkpoint.segment) holds \(segmentBytes) bytes"
                } else if let lastSegment {
                    "segment \(checkpoint.segment) is gone (the last one is \(lastSegment))"
                } else {
                    "the spool has no segments"
                }
            return "the committed checkpoint \(checkpoint) is past the end of the spool: \(found)"
        }
    }

    /// Opens the writer, making sure its records land after `checkpoint`.
    ///
    /// - Parameter checkpoint: the loader's committed checkpoint, or nil if it cannot be read now (the
    ///   position the writer starts from is then recorded for ``verify(checkpoint:)``).
    /// - Returns: the writer, and the gap found when the spool is shorter than the checkpoint (log it).
    /// - Throws: ``SpoolError/Code/io`` when a segment cannot be created or a file written.
    package func openWriter(
        segmentBytes: Int = 64 << 20, level: Int = 1, after checkpoint: SpoolPosition?
    ) throws(SpoolError) -> (writer: SpoolWriter, gap: CheckpointGap?) {
        let writer = try SpoolWriter(
            directory: path, segmentBytes: segmentBytes, level: level, storage: storage, durableEnd: durableEnd
        )
        guard let checkpoint else {
            let recorded = state.withLock { $0.unverifiedFrom }
            if recorded == nil {
                let from = writer.endPosition
                try storage.replaceFile(Self.file(Self.unverifiedFileName, in: path), with: Array(from.text.utf8))
                state.withLock { $0.unverifiedFrom = from }
            }
            return (writer, nil)
        }
        let checkpointPath = SpoolSegment(number: checkpoint.segment).path(in: path)
        let held: UInt64? =
            if try storage.openForReading(checkpointPath) != nil { try storage.size(of: checkpointPath) } else { nil }
        if let held, held >= checkpoint.offset { return (writer, nil) }
        if held == nil && checkpoint == .start { return (writer, nil) }
        let last = try SpoolSegment.segments(in: path, storage: storage).last?.number
        if writer.endPosition < checkpoint {
            try writer.startSegment(numbered: checkpoint.segment + 1)
        }
        let gap = CheckpointGap(
            checkpoint: checkpoint, segmentBytes: held, lastSegment: last, appendsFrom: writer.endPosition
        )
        return (writer, gap)
    }

    // MARK: - The checkpoint, when the loader reads it

    /// What the loader must do with the checkpoint it read.
    package enum CheckpointVerdict: Sendable, Equatable {
        /// Resume from it.
        case resume
        /// Move it back to this position first (a checkpoint-only transaction), then resume from there:
        /// records were appended from here on while the checkpoint was unknown, and it is past them.
        case moveBack(to: SpoolPosition)
    }

    /// Checks `checkpoint` against the first position appended while it was unknown, if there is one.
    ///
    /// A checkpoint at or before that position is fine, and the record of the position is removed. One
    /// past it means the spool lost data behind the checkpoint before this run, and this run appended new
    /// records where the loader would skip them: the loader moves the checkpoint back, then calls
    /// ``checkpointMovedBack()``.
    ///
    /// - Throws: ``SpoolError/Code/io`` if the record cannot be removed.
    package func verify(checkpoint: SpoolPosition) throws(SpoolError) -> CheckpointVerdict {
        guard let from = state.withLock({ $0.unverifiedFrom }) else { return .resume }
        guard checkpoint <= from else { return .moveBack(to: from) }
        try checkpointMovedBack()
        return .resume
    }

    /// Forgets the first position appended while the checkpoint was unknown, now that the checkpoint is at
    /// or before it.
    ///
    /// - Throws: ``SpoolError/Code/io`` if its file cannot be removed.
    package func checkpointMovedBack() throws(SpoolError) {
        try storage.removeDurably(Self.file(Self.unverifiedFileName, in: path))
        state.withLock { $0.unverifiedFrom = nil }
    }

    // MARK: - Paths

    /// The path of the file `name` in `directory`.
    package static func file(_ name: String, in directory: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory that holds `path`: everything before its last `/`, or `.` for a bare name.
    package static func parent(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}
