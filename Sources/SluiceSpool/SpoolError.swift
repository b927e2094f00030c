// SluiceSpool: the durable spool, zstd frames appended to numbered segment files and fsync'd
// before a request is acknowledged. Storage only: no threads, no HTTP.

/// An error from writing, reading or repairing the spool.
///
/// Match on ``code``; ``description`` is one line naming the file and offset involved.
public struct SpoolError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure happened.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case io
            case corruptRecord
            case recordTooLarge
            case missingSegment
            case writerFailed
            case invalidArgument
            case locked
        }

        private let base: Base

        private init(_ base: Base) {
            self.base = base
        }

        /// A system call (open, write, fsync, ...) failed; ``SpoolError/errno`` holds its `errno`.
        package static let io = Code(.io)
        /// A record before the end of the written data fails its header, CRC or zstd check.
        package static let corruptRecord = Code(.corruptRecord)
        /// A record decompresses to more than the reader's limit, or a payload is too large to write.
        package static let recordTooLarge = Code(.recordTooLarge)
        /// The segment a position names is gone although the position is inside it.
        package static let missingSegment = Code(.missingSegment)
        /// An earlier write or fsync failed, so the writer no longer knows what is on disk.
        package static let writerFailed = Code(.writerFailed)
        /// A parameter was out of range.
        package static let invalidArgument = Code(.invalidArgument)
        /// Another process (or another open of the same directory) holds the spool directory's lock.
        package static let locked = Code(.locked)

        package var description: String {
            switch base {
            case .io: "I/O error"
            case .corruptRecord: "corrupt spool record"
            case .recordTooLarge: "spool record too large"
            case .missingSegment: "missing spool segment"
            case .writerFailed: "spool writer failed"
            case .invalidArgument: "invalid argument"
            case .locked: "spool directory in use"
            }
        }
    }

    /// What kind of failure happened.
    package var code: Code
    /// What went wrong, with the path and offset when there is one.
    package var message: String
    /// The `errno` of the failed system call, for ``Code/io``.
    package var errno: Int32?

    package init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    /// One line, for example `corrupt spool record: /var/spool/00000000000000000003.seg at 4096: CRC mismatch`.
    public var description: String {
        var line = "\(code): \(message)"
        if let errno {
            line += " (errno \(errno))"
        }
        return line
    }
}
