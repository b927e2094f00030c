#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The real file system, through POSIX calls: what the server uses.
///
/// Each call is one or two system calls, retried on `EINTR`; failures are ``SpoolError/Code/io`` with the
/// `errno` and the path. Holds no state, so any number of copies may be used from any thread.
package struct PosixSpoolStorage: SpoolStorage {
    package init() {}

    package func openForReading(_ path: String) throws(SpoolError) -> (any SpoolStorageFile)? {
        try SpoolFile.openForReading(path)
    }

    package func openForUpdate(_ path: String) throws(SpoolError) -> any SpoolStorageFile {
        try SpoolFile.openForUpdate(path)
    }

    package func openForAppending(_ path: String) throws(SpoolError) -> any SpoolStorageFile {
        try SpoolFile.openForAppending(path)
    }

    package func syncDirectory(_ path: String) throws(SpoolError) {
        guard let directory = try SpoolFile.openFile(path, flags: O_RDONLY | O_DIRECTORY, missingIsNil: false) else {
            return
        }
        try directory.sync()
    }

    package func createDirectory(_ path: String) throws(SpoolError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            while mkdir(prefix, 0o755) != 0 {
                let error = errno
                if error == EINTR { continue }
                if error == EEXIST { break }
                throw SpoolError(.io, "cannot create the directory \(prefix)", errno: error)
            }
            prefix += "/"
        }
    }

    package func names(inDirectory path: String) throws(SpoolError) -> [String] {
        guard let stream = opendir(path) else {
            throw SpoolError(.io, "cannot list \(path)", errno: errno)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." {
                names.append(name)
            }
        }
        return names
    }

    package func size(of path: String) throws(SpoolError) -> UInt64 {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw SpoolError(.io, "cannot stat \(path)", errno: errno)
        }
        return UInt64(status.st_size)
    }

    package func remove(_ path: String) throws(SpoolError) {
        guard unlink(path) == 0 || errno == ENOENT else {
            throw SpoolError(.io, "cannot remove \(path)", errno: errno)
        }
    }

    package func rename(_ source: String, to destination: String) throws(SpoolError) {
        while renameFile(source, destination) != 0 {
            let error = errno
            if error != EINTR {
                throw SpoolError(.io, "cannot rename \(source) to \(destination)", errno: error)
            }
        }
    }

    package func lockExclusively(_ path: String) throws(SpoolError) -> (any SpoolStorageLock)? {
        try PosixFileLock.acquire(path)
    }
}

/// `rename(2)`, out of reach of ``PosixSpoolStorage/rename(_:to:)``'s own name.
private func renameFile(_ source: String, _ destination: String) -> Int32 {
    rename(source, destination)
}

/// An exclusive `flock` on an open descriptor, released by closing it on deinit (and by the kernel when
/// the process dies, however it dies: a lock left by `kill -9` never needs cleaning up).
private final class PosixFileLock: SpoolStorageLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    static func acquire(_ path: String) throws(SpoolError) -> PosixFileLock? {
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else {
            throw SpoolError(.io, "cannot open the lock file \(path)", errno: errno)
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let error = errno
            if error == EINTR { continue }
            close(descriptor)
            if error == EWOULDBLOCK { return nil }
            throw SpoolError(.io, "cannot lock \(path)", errno: error)
        }
        return PosixFileLock(descriptor: descriptor)
    }
}
