#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replaces a small file so that a crash or power loss at any moment leaves either the old content or the
/// new, whole: the new bytes go to a temporary file beside it, which is fsync'd, renamed over the old one
/// (atomic on POSIX file systems), and then the directory is fsync'd so the rename itself is durable.
enum DurableFile {
    /// Writes `bytes` to `path` as described above, with mode 0600.
    ///
    /// - Throws: ``IngestError`` (`spoolFailed`) naming the step and the `errno` text; the temporary file is
    ///   removed and `path` left as it was.
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                write(descriptor, buffer.baseAddress! + written, buffer.count - written)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                let error = failure("write", temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            let error = failure("fsync", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename", temporary)
            unlink(temporary)
            throw error
        }
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let directoryDescriptor = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directoryDescriptor >= 0 else { throw failure("open the directory of", path) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw failure("fsync the directory of", path) }
    }

    private static func failure(_ step: String, _ path: String) -> IngestError {
        IngestError(.spoolFailed, "cannot \(step) \(path): \(String(cString: strerror(errno)))")
    }
}
