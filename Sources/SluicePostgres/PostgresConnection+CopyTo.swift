import CLibPQ

extension PostgresConnection {
    /// Runs a `COPY … TO STDOUT` and hands the data to `body` as libpq receives it, one `CopyData` message
    /// at a time (for `FORMAT binary`: the header with the first tuple, one tuple a message, the trailer).
    ///
    /// The bytes `body` gets are valid only during the call. Memory stays at one message however many rows
    /// the `COPY` sends. When `body` throws, the rest of the data is read and discarded (libpq cannot stop a
    /// `COPY TO` midway), so the connection is ready for the next statement, and the error is rethrown.
    ///
    /// - Parameter sql: a `COPY table TO STDOUT …` or `COPY (SELECT …) TO STDOUT …` statement.
    /// - Returns: the number of rows the server reports it sent.
    /// - Throws: `PostgresError`: `.server` with the SQLSTATE when the server refuses the statement or fails
    ///   midway, `.protocolViolation` when `sql` is not a `COPY TO STDOUT`, `.connection` when the connection
    ///   breaks; or what `body` threw.
    @discardableResult
    public func copyTo(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        let started = PQexec(handle, sql)
        let status = started.map(PQresultStatus) ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COPY_OUT:
            PQclear(started)
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN:
            PQclear(started)
            if status == PGRES_COPY_IN { _ = PQputCopyEnd(handle, "not a COPY TO STDOUT"); drainResults { _ in } }
            throw PostgresError(
                code: .protocolViolation, message: "statement is not a COPY TO STDOUT", statement: Self.shortened(sql)
            )
        default:
            _ = try check(started, statement: sql)
            throw PostgresError(code: .protocolViolation, message: "COPY did not start", statement: Self.shortened(sql))
        }

        var failure: (any Error)?
        var buffer: UnsafeMutablePointer<CChar>?
        while true {
            // Blocking mode (async = 0): returns a whole message's length, −1 at the end, −2 on failure.
            let length = PQgetCopyData(handle, &buffer, 0)
            guard length > 0, let data = buffer else { break }
            if failure == nil {
                do {
                    try body(UnsafeRawBufferPointer(start: data, count: Int(length)))
                } catch {
                    failure = error
                }
            }
            PQfreemem(data)
            buffer = nil
        }
        let outcome = copyOutcome(sql)
        if let failure { throw failure }
        if let serverFailure = outcome.failure { throw serverFailure }
        if !isOpen {
            throw PostgresError(
                code: .connection, message: "COPY TO ended: \(Self.connectionMessage(handle))",
                statement: Self.shortened(sql)
            )
        }
        return outcome.rows
    }
}
