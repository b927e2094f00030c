import SluicePostgres

/// The session settings of the jobs that aggregate events (sessions, rollups), on their run's own connection.
public enum AggregationSession {
    /// Memory for one sort or hash of a job's statement: a day of a busy project's events sorts in memory
    /// instead of spilling to disk.
    public static let workMemory = "64MB"

    /// Applies the settings for the rest of the session:
    /// - `jit = off`: these statements are planned as expensive (a day of events) but run in tens of
    ///   milliseconds, and compiling them took longer than running them;
    /// - `work_mem` = ``workMemory``.
    /// - Throws: `PostgresError`.
    public static func prepare(_ connection: PostgresConnection) throws(PostgresError) {
        try connection.execute("SET jit = off; SET work_mem = '\(workMemory)'")
    }
}
