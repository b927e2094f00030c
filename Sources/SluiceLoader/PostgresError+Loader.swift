import SluicePostgres

extension PostgresError {
    /// Whether PostgreSQL refused the data of a row (so splitting the batch finds the row and the rest
    /// loads), rather than the statement, the session or the server (so every row would fail the same way
    /// and the whole batch must wait and be retried).
    ///
    /// Row failures are what a value's receive function or a constraint raises: SQLSTATE class 22 (data
    /// exception: invalid JSON, bad encoding, malformed binary value, wrong field count), class 23 (integrity:
    /// NOT NULL, CHECK, no partition for the row), class 54 (program limit: a value too large), 08P01 (a
    /// receive function reading past its value reports "insufficient data left in message" as a protocol
    /// violation, while the connection stays up) and XX000 (receive functions that `elog`, such as an
    /// unsupported `jsonb` version). Everything else, a missing table (42P01), no permission (42501), a
    /// full disk (53100), a lock timeout (55P03), a cancel or shutdown (57…), is not the row's fault.
    ///
    /// - Parameter connectionOpen: whether the connection is still usable; a failure that broke it is
    ///   never a row failure.
    func isRowFailure(connectionOpen: Bool) -> Bool {
        guard connectionOpen, code == .server, let sqlState, sqlState.utf8.count == 5 else { return false }
        return sqlState.hasPrefix("22") || sqlState.hasPrefix("23") || sqlState.hasPrefix("54")
            || sqlState == "08P01" || sqlState == "XX000"
    }

    /// Whether the failure means PostgreSQL cannot be reached or is not accepting work (down, starting,
    /// shutting down, out of connections), so that retrying on a new connection can succeed.
    func isUnavailable(connectionOpen: Bool) -> Bool {
        if !connectionOpen || code == .connection { return true }
        guard let sqlState else { return false }
        return (sqlState.hasPrefix("08") && sqlState != "08P01")
            || ["57P01", "57P02", "57P03", "53300"].contains(sqlState)
    }
}
