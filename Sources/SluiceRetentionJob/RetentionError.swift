// SluiceRetentionJob: the retention job (archive each due daily partition, verify it, drop it; purge the
// bookkeeping), `sluice archive list|restore` and `sluice forget`, over SQL and files. The rules without
// I/O live in SluiceRetention.

/// A failure of retention, an archive or an erasure, with one line that says what to do.
public struct RetentionError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        /// No archive directory, and dropping without an archive was not asked for.
        public static let archiveNotConfigured = Code(name: "archive not configured")
        /// A setting (`SLUICE_RETENTION_DAYS`, `SLUICE_ARCHIVE`) holds a value that cannot be used.
        public static let invalidSetting = Code(name: "invalid setting")
        /// The archive directory cannot be created, written or synced (permissions, a full disk).
        public static let archiveUnwritable = Code(name: "archive unwritable")
        /// An archive file is missing, truncated, corrupt, or not the one its manifest line describes.
        public static let archiveInvalid = Code(name: "archive invalid")
        /// The archive and the partition it was written from hold different numbers of rows.
        public static let verificationFailed = Code(name: "verification failed")
        /// A lock was not granted within the lock timeout, attempt after attempt.
        public static let lockTimeout = Code(name: "lock timeout")
        /// The day to restore is already in analytics.events.
        public static let alreadyPresent = Code(name: "already present")
        /// An erasure or a restore committed, but recomputing the rollups after it failed; the rollups job
        /// recomputes the marked buckets on its next run.
        public static let rollupsPending = Code(name: "rollups pending")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
