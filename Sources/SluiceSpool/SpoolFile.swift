#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file descriptor with the few POSIX calls the spool needs, each retried on `EINTR` and
/// turned into a ``SpoolError`` naming the path: ``PosixSpoolStorage``'s files.
///
/// With ``PosixSpoolStorage``, the only place in SluiceSpool that calls the C library; the descriptor is
/// closed on deinit. Not `Sendable`: one owner.
final class SpoolFile: SpoolStorageFile {
    let path: String
    private let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Opens an existing file read-only, or returns nil if it does not exist.
    static func openForReading(_ path: String) throws(SpoolError) -> SpoolFile? {
        try openFile(path, flags: O_RDONLY, missingIsNil: true)
    }

    /// Opens an existing file for reading and writing in place (truncation by recovery).
    static func openForUpdate(_ path: String) throws(SpoolError) -> SpoolFile {
        try openFile(path, flags: O_RDWR, missingIsNil: false)!
    }

    /// Opens `path` for appending, creating it (mode 0644) if it does not exist.
    static func openForAppending(_ path: String) throws(SpoolError) -> SpoolFile {
        try openFile(path, flags: O_WRONLY | O_APPEND | O_CREAT, missingIsNil: false)!
    }

    static func openFile(_ path: String, flags: Int32, missingIsNil: Bool) throws(SpoolError) -> SpoolFile? {
        while true {
            let descriptor = open(path, flags | O_CLOEXEC, 0o644)
            if descriptor >= 0 {
                return SpoolFile(path: path, descriptor: descriptor)
            }
            let error = errno
            if error == EINTR { continue }
            if error == ENOENT && missingIsNil { return nil }
            throw SpoolError(.io, "cannot open \(path)", errno: error)
        }
    }

    /// The file's current size in bytes.
    func size() throws(SpoolError) -> UInt64 {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SpoolError(.io, "cannot stat \(path)", errno: errno)
        }
        return UInt64(status.st_size)
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: UInt64) throws(SpoolError) -> [UInt8] {
        var failure: Int32?
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while initialized < count {
                let result = pread(
                    descriptor,
                    buffer.baseAddress! + initialized,
                    count - initialized,
                    off_t(offset) + off_t(initialized)
                )
                if result > 0 {
                    initialized += result
                } else if result == 0 {
                    return
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        if let failure {
            throw SpoolError(.io, "cannot read \(path) at \(offset)", errno: failure)
        }
        return bytes
    }

    /// Writes all of `bytes` at the end of the file (the descriptor is `O_APPEND`).
    ///
    /// A throw may leave part of `bytes` written.
    func writeAll(_ bytes: [UInt8]) throws(SpoolError) {
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result >= 0 {
                    written += result
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        if let failure {
            throw SpoolError(.io, "cannot write \(path)", errno: failure)
        }
    }

    /// Flushes the file's data and metadata to stable storage (`fsync`).
    func sync() throws(SpoolError) {
        while fsync(descriptor) != 0 {
            let error = errno
            if error != EINTR {
                throw SpoolError(.io, "cannot fsync \(path)", errno: error)
            }
        }
    }

    /// Cuts the file to `length` bytes.
    func truncate(to length: UInt64) throws(SpoolError) {
        while ftruncate(descriptor, off_t(length)) != 0 {
            let error = errno
            if error != EINTR {
                throw SpoolError(.io, "cannot truncate \(path) to \(length) bytes", errno: error)
            }
        }
    }
}

@available(*, unavailable)
extension SpoolFile: Sendable {}
