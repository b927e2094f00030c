import CLibPQ
import Synchronization

extension PostgresConnection {
    /// Runs a query through a server-side cursor and hands its rows to `body` in batches of at most
    /// `batchRows`, so the client never holds more than one batch however many rows the query returns.
    ///
    /// `PQexecParams` would buffer the whole result in client memory before returning; a cursor (`DECLARE …
    /// NO SCROLL CURSOR`, then `FETCH batchRows` until a short batch) keeps the rest on the server. Outside a
    /// transaction the cursor gets one of its own (committed at the end, rolled back on failure); inside the
    /// caller's transaction it is closed again, leaving the transaction open.
    ///
    /// - Parameters:
    ///   - sql: one `SELECT` (or `VALUES`) statement; `$1`, `$2`, … are bound to `parameters` as in
    ///     ``query(_:_:binaryResult:)``.
    ///   - batchRows: rows per `FETCH`, at least 1.
    ///   - body: called with each non-empty batch, in the query's order; the result is freed after it
    ///     returns, so keep values, not the result.
    /// - Returns: the rows handed to `body`.
    /// - Throws: `PostgresError` from the database (the cursor's transaction is rolled back if it is this
    ///   call's), or what `body` threw (likewise).
    @discardableResult
    public func forEachBatch(
        of sql: String, _ parameters: [String?] = [], batchRows: Int = 10_000, _ body: (PostgresResult) throws -> Void
    ) throws -> Int {
        precondition(batchRows > 0, "batchRows must be positive")
        let ownTransaction = PQtransactionStatus(handle) == PQTRANS_IDLE
        // Unique per call, so a body may open another cursor on the same connection.
        let name = "sluice_cursor_\(cursorNumbers.add(1, ordering: .relaxed).newValue)"
        if ownTransaction { try execute("BEGIN") }
        do {
            try query("DECLARE \(name) NO SCROLL CURSOR FOR \(sql)", parameters)
            var total = 0
            while true {
                let batch = try execute("FETCH FORWARD \(batchRows) FROM \(name)")
                let count = batch.rowCount
                if count > 0 {
                    try body(batch)
                    total += count
                }
                if count < batchRows { break }
            }
            if ownTransaction {
                try execute("COMMIT")
            } else {
                try execute("CLOSE \(name)")
            }
            return total
        } catch {
            if isOpen {
                _ = try? execute(ownTransaction ? "ROLLBACK" : "CLOSE \(name)")
            }
            throw error
        }
    }
}

/// Numbers cursor names across the process; relaxed, because only uniqueness matters.
private let cursorNumbers = Atomic<Int>(0)
