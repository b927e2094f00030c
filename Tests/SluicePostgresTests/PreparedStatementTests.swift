import SluicePostgres
import SluiceTestSupport
import Testing

/// `reusingPlan`: statements prepared once per connection, and what happens when the server loses them.
@Suite struct PreparedStatementTests {
    /// The statements the session has prepared, by the server's own account.
    func serverPrepared(_ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) FROM pg_prepared_statements").int(0, 0) ?? -1
    }

    @Test func aStatementIsPreparedOnceAndRunsWithEachCallsParameters() throws {
        let connection = try TestDatabase.connect("prepared")
        let sql = "SELECT $1::bigint * 2, $2::text"
        for value in [1, 21, -5] {
            let result = try connection.reusingPlan(sql, [String(value), "v\(value)"])
            #expect(try result.int(0, 0) == value * 2)
            #expect(result.string(0, 1) == "v\(value)")
        }
        #expect(connection.preparedStatements.count == 1)
        #expect(try serverPrepared(connection) == 1)
        try connection.reusingPlan("SELECT $1::int + 1", ["1"])
        #expect(try serverPrepared(connection) == 2)
    }

    @Test func aStatementTheServerForgotIsPreparedAgain() throws {
        let connection = try TestDatabase.connect("discarded")
        let sql = "SELECT $1::int + 1"
        #expect(try connection.reusingPlan(sql, ["1"]).int(0, 0) == 2)
        try connection.execute("DEALLOCATE ALL")
        #expect(try serverPrepared(connection) == 0)
        #expect(try connection.reusingPlan(sql, ["2"]).int(0, 0) == 3)
        #expect(try serverPrepared(connection) == 1)
        #expect(connection.preparedStatements.enabled)
    }

    @Test func pastItsCapacityAConnectionRunsStatementsUnprepared() throws {
        let connection = try TestDatabase.connect("capacity")
        connection.preparedStatements.capacity = 2
        for addend in 1...4 {
            #expect(try connection.reusingPlan("SELECT $1::int + \(addend)", ["10"]).int(0, 0) == 10 + addend)
        }
        #expect(try serverPrepared(connection) == 2)
    }

    @Test func aStatementThatCannotBePreparedThrowsAndLeavesNothingBehind() throws {
        let connection = try TestDatabase.connect("badprepare")
        #expect {
            try connection.reusingPlan("SELECT * FROM no_such_table WHERE id = $1::int", ["1"])
        } throws: { error in
            (error as? PostgresError)?.sqlState == "42P01"
        }
        #expect(connection.preparedStatements.count == 0)
        try connection.execute("CREATE TABLE no_such_table (id int)")
        try connection.execute("INSERT INTO no_such_table VALUES (1)")
        #expect(try connection.reusingPlan("SELECT * FROM no_such_table WHERE id = $1::int", ["1"]).rowCount == 1)
    }

    @Test func aResetSessionPreparesAgain() throws {
        let connection = try TestDatabase.connect("reset")
        try connection.reusingPlan("SELECT $1::int", ["1"])
        try connection.reset()
        #expect(connection.preparedStatements.count == 0)
        #expect(try connection.reusingPlan("SELECT $1::int", ["7"]).int(0, 0) == 7)
        #expect(try serverPrepared(connection) == 1)
    }
}
