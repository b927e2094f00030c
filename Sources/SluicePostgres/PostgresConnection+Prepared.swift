import CLibPQ

/// The statements a connection has prepared on the server, by their SQL text.
package struct PreparedStatements {
    /// The most statements a connection prepares; statements beyond them run unprepared. A bound on the
    /// server's memory for a connection that sees many shapes of statement (a filter of many values makes a
    /// shape of its own).
    package var capacity = 256
    /// False once the server lost a statement right after it was prepared again: the connection runs through
    /// a pooler that does not keep a session's prepared statements (PgBouncer's transaction mode before 1.21),
    /// so it prepares nothing more.
    package private(set) var enabled = true
    private var names: [String: String] = [:]
    private var prepared = 0

    /// How many statements are prepared now.
    package var count: Int { names.count }

    func name(of sql: String) -> String? { names[sql] }

    /// A fresh name for `sql`, recorded as prepared; nil when no more may be prepared.
    mutating func add(_ sql: String) -> String? {
        guard enabled, names.count < capacity else { return nil }
        prepared += 1
        let name = "sluice_\(prepared)"
        names[sql] = name
        return name
    }

    /// `sql` could not be prepared after all.
    mutating func forget(_ sql: String) { names[sql] = nil }

    /// After a new session, or `DISCARD ALL`: none is prepared any more.
    mutating func forgetAll() { names.removeAll() }

    mutating func disable() {
        forgetAll()
        enabled = false
    }
}

extension PostgresConnection {
    /// Runs one statement as ``query(_:_:binaryResult:)`` does, but prepared once per connection: the server
    /// parses and plans its text the first time, and later runs of the same text with other parameters reuse
    /// that work (PostgreSQL plans a prepared statement for its parameters five times, then keeps a generic
    /// plan when that costs no more). For statements run again and again whose plan does not depend on
    /// their values, such as the Stats API's reads of the rollups; a statement whose plan should see its
    /// values (partitions pruned at planning) is better run by ``query(_:_:binaryResult:)``.
    ///
    /// A statement the server no longer knows (`DISCARD ALL`, a pooler that moved the session) is prepared
    /// again; when that happens twice in a row, the connection stops preparing and runs every statement
    /// unprepared from then on.
    ///
    /// - Throws: `PostgresError`, as `query` does.
    @discardableResult
    public func reusingPlan(_ sql: String, _ parameters: [String?] = [], binaryResult: Bool = false)
        throws(PostgresError) -> PostgresResult
    {
        for attempt in 1...2 {
            guard let name = try preparedName(sql, parameterCount: parameters.count) else { break }
            do {
                return try executePrepared(name, sql: sql, parameters, binaryResult: binaryResult)
            } catch let error where error.sqlState == "26000" && isOpen {
                // invalid_sql_statement_name: the session lost its prepared statements.
                if attempt == 1 { preparedStatements.forgetAll() } else { preparedStatements.disable() }
            }
        }
        return try query(sql, parameters, binaryResult: binaryResult)
    }

    /// The name `sql` is prepared under, preparing it first if need be; nil when it is not to be prepared.
    private func preparedName(_ sql: String, parameterCount: Int) throws(PostgresError) -> String? {
        if let name = preparedStatements.name(of: sql) { return name }
        guard let name = preparedStatements.add(sql) else { return nil }
        do {
            _ = try check(PQprepare(handle, name, sql, Int32(parameterCount), nil), statement: sql)
        } catch {
            preparedStatements.forget(sql)
            throw error
        }
        return name
    }

    private func executePrepared(_ name: String, sql: String, _ parameters: [String?], binaryResult: Bool)
        throws(PostgresError) -> PostgresResult
    {
        let result = Self.withParameterValues(parameters) { values in
            PQexecPrepared(handle, name, Int32(parameters.count), values, nil, nil, binaryResult ? 1 : 0)
        }
        return try check(result, statement: sql)
    }
}
