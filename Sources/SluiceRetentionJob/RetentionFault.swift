import Glibc

/// A step of the retention run or of a restore at which `SLUICE_RETENTION_FAULT=STEP` kills the process.
///
/// Fault injection for the crash tests, as a database's test builds do: the process sends itself `SIGKILL`
/// right after the named step, so nothing after it runs, no buffer is flushed and no transaction is ended
/// cleanly, which is what a power cut or `kill -9` at that point leaves. Unset (as always outside those
/// tests), it costs one dictionary lookup per step.
public enum RetentionFault: String, Sendable, CaseIterable {
    /// The partition was detached (committed) and nothing written yet.
    case detached
    /// The archive's temporary file was written and fsync'd, not renamed.
    case written
    /// The archive was renamed into place and its directory fsync'd.
    case renamed
    /// The manifest line was appended and fsync'd.
    case listed
    /// The archive was read back and its rows matched the partition's.
    case verified
    /// The partition was dropped.
    case dropped

    /// The environment variable that names the step.
    public static let variable = "SLUICE_RETENTION_FAULT"

    /// Kills the process with `SIGKILL` when `environment` names this step.
    func strike(_ environment: [String: String]) {
        guard environment[Self.variable] == rawValue else { return }
        kill(getpid(), SIGKILL)
    }
}
