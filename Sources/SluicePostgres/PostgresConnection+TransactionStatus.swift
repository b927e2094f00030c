import CLibPQ

extension PostgresConnection {
    /// Whether a transaction block is open on this connection (after `BEGIN`, before `COMMIT` or
    /// `ROLLBACK`), including one that has failed and awaits its `ROLLBACK`.
    ///
    /// For code that must run inside the caller's transaction to mean anything (a lease's fence, say),
    /// so it can refuse to run in autocommit instead of protecting nothing.
    public var isInTransaction: Bool {
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR
    }
}
