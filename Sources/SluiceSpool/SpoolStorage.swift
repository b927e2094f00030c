/// The file system under the spool: every call SluiceSpool makes to files and directories goes through one
/// of these, so a test can put a fault-injecting one in its place (as LevelDB's `FaultInjectionTestEnv` and
/// RocksDB's `FaultInjectionTestFS` do) and production uses ``PosixSpoolStorage``.
///
/// What an implementation must provide is POSIX's durability contract and no more: bytes written reach
/// stable storage only with the file's ``SpoolStorageFile/sync()``; a created, renamed or removed directory
/// entry only with ``syncDirectory(_:)`` of its directory. The spool's code is written against that
/// contract, so a storage that loses exactly what was not synced at a crash tests it.
///
/// Every call may be made from any thread; a ``SpoolStorageFile`` has one owner at a time.
package protocol SpoolStorage: Sendable {
    /// Opens an existing file read-only, or returns nil if it does not exist.
    func openForReading(_ path: String) throws(SpoolError) -> (any SpoolStorageFile)?
    /// Opens an existing file for reading and writing in place.
    func openForUpdate(_ path: String) throws(SpoolError) -> any SpoolStorageFile
    /// Opens `path` for appending, creating it if it does not exist (the entry is durable only after
    /// ``syncDirectory(_:)``).
    func openForAppending(_ path: String) throws(SpoolError) -> any SpoolStorageFile
    /// Flushes a directory's entries (created, renamed or removed files) to stable storage.
    func syncDirectory(_ path: String) throws(SpoolError)
    /// Creates the directory `path` and any missing parents; an existing directory is not an error.
    func createDirectory(_ path: String) throws(SpoolError)
    /// The names of the entries in directory `path`, `.` and `..` excluded.
    func names(inDirectory path: String) throws(SpoolError) -> [String]
    /// The size in bytes of the file at `path`.
    func size(of path: String) throws(SpoolError) -> UInt64
    /// Removes the file at `path`; a file already gone is not an error.
    func remove(_ path: String) throws(SpoolError)
    /// Renames `source` to `destination` atomically, replacing it if it exists.
    func rename(_ source: String, to destination: String) throws(SpoolError)
    /// Takes an exclusive lock on the file at `path` (created if missing) for as long as the returned lock
    /// lives, or returns nil at once if another process (or another lock in this one) holds it.
    func lockExclusively(_ path: String) throws(SpoolError) -> (any SpoolStorageLock)?
}

/// An open file of a ``SpoolStorage``. Not thread-safe: one owner at a time.
package protocol SpoolStorageFile: AnyObject {
    /// The path it was opened with, for messages.
    var path: String { get }
    /// The file's current size in bytes.
    func size() throws(SpoolError) -> UInt64
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: UInt64) throws(SpoolError) -> [UInt8]
    /// Writes all of `bytes` at the end of the file. A throw may leave part of `bytes` written.
    func writeAll(_ bytes: [UInt8]) throws(SpoolError)
    /// Flushes the file's data and metadata to stable storage (`fsync`).
    func sync() throws(SpoolError)
    /// Cuts the file to `length` bytes.
    func truncate(to length: UInt64) throws(SpoolError)
}

/// A held lock from ``SpoolStorage/lockExclusively(_:)``, released when it is deinitialised.
package protocol SpoolStorageLock: AnyObject, Sendable {}
