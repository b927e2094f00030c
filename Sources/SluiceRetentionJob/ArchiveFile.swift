import Glibc

/// A file descriptor for one archive file or the manifest, with the few POSIX calls archiving needs.
///
/// Not `Sendable`: one owner uses it, and closes it (or lets it close on deinit).
final class ArchiveFile {
    private var descriptor: Int32
    let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { close() }

    /// Creates `path` empty (truncating what was there), mode 0644, for writing.
    static func create(_ path: String) throws(RetentionError) -> ArchiveFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, unwritable: true)
    }

    /// Opens `path` for appending, creating it if missing.
    static func append(_ path: String) throws(RetentionError) -> ArchiveFile {
        try open(path, flags: O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, unwritable: true)
    }

    /// Opens an existing `path` for reading.
    static func read(_ path: String) throws(RetentionError) -> ArchiveFile {
        try open(path, flags: O_RDONLY | O_CLOEXEC, unwritable: false)
    }

    private static func open(_ path: String, flags: Int32, unwritable: Bool) throws(RetentionError) -> ArchiveFile {
        let descriptor = Glibc.open(path, flags, 0o644)
        guard descriptor >= 0 else {
            throw failure(unwritable ? .archiveUnwritable : .archiveInvalid, "open", path)
        }
        return ArchiveFile(descriptor: descriptor, path: path)
    }

    /// Writes all of `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(RetentionError) {
        var written = 0
        while written < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Self.failure(.archiveUnwritable, "write", path) }
            written += count
        }
    }

    func write(_ bytes: [UInt8]) throws(RetentionError) {
        try bytes.withUnsafeBufferPointer { buffer throws(RetentionError) in
            try write(UnsafeRawBufferPointer(buffer))
        }
    }

    /// Reads up to `buffer.count` bytes into `buffer`.
    /// - Returns: how many were read; 0 at the end of the file.
    func read(into buffer: inout [UInt8]) throws(RetentionError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Self.failure(.archiveInvalid, "read", path) }
            return count
        }
    }

    /// Flushes the file's data and size to the disk.
    func sync() throws(RetentionError) {
        guard fsync(descriptor) == 0 else { throw Self.failure(.archiveUnwritable, "fsync", path) }
    }

    func close() {
        if descriptor >= 0 { _ = Glibc.close(descriptor) }
        descriptor = -1
    }

    /// Makes renames and creations in directory `path` durable.
    static func syncDirectory(_ path: String) throws(RetentionError) {
        let descriptor = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(.archiveUnwritable, "open the directory", path) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(.archiveUnwritable, "fsync the directory", path) }
    }

    /// Renames `from` to `to`, replacing `to` (atomic on POSIX file systems).
    static func rename(_ from: String, to: String) throws(RetentionError) {
        guard Glibc.rename(from, to) == 0 else { throw failure(.archiveUnwritable, "rename to \(to)", from) }
    }

    /// Creates directory `path` and its parents as needed, mode 0755.
    static func makeDirectory(_ path: String) throws(RetentionError) {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o755) != 0 && errno != EEXIST {
                throw failure(.archiveUnwritable, "create the directory", built)
            }
        }
    }

    /// The size of `path` in bytes, or nil when it does not exist.
    static func size(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func exists(_ path: String) -> Bool { size(path) != nil }

    static func remove(_ path: String) { _ = unlink(path) }

    private static func failure(_ code: RetentionError.Code, _ step: String, _ path: String) -> RetentionError {
        let reason = String(cString: strerror(errno))
        let advice = code == .archiveUnwritable ? "; check its permissions and free space" : ""
        return RetentionError(code, "could not \(step) \(path): \(reason)\(advice)")
    }
}
