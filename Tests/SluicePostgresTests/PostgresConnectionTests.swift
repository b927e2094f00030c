import SluiceHangGuard
import SluicePostgres
import SluiceTestSupport
import Testing

@Suite struct PostgresConnectionTests {
    @Test func parameterizedQueryRoundTripsTextAndNull() throws {
        let connection = try TestDatabase.connect("params")
        let result = try connection.query("SELECT $1::text AS a, $2::int AS b, $3::text AS c", ["héllo 🦆", "42", nil])
        #expect(result.rowCount == 1)
        #expect(result.string(0, 0) == "héllo 🦆")
        #expect(try result.int(0, 1) == 42)
        #expect(result.string(0, 2) == nil)
        #expect(result.columnIndex("c") == 2)
    }

    @Test func serverErrorCarriesSQLStateAndMessage() throws {
        let connection = try TestDatabase.connect("errors")
        #expect {
            try connection.execute("SELECT * FROM no_such_table")
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .server && error.sqlState == "42P01" && error.message.contains("no_such_table")
        }
        // The connection is still usable after a statement error.
        #expect(try connection.query("SELECT 1").string(0, 0) == "1")
    }

    @Test func transactionRollsBackOnError() throws {
        let connection = try TestDatabase.connect("tx")
        try connection.execute("CREATE TABLE t (id int PRIMARY KEY)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction { connection in
                try connection.execute("INSERT INTO t VALUES (1)")
                throw Abort()
            }
        }
        try connection.transaction { try $0.execute("INSERT INTO t VALUES (2)") }
        #expect(try connection.query("SELECT array_agg(id)::text FROM t").string(0, 0) == "{2}")
    }

    @Test func urlAndConninfoBothConnect() throws {
        let cluster = try TestDatabase.cluster()
        let url = "postgres://postgres@127.0.0.1:\(cluster.port)/postgres"
        #expect(try PostgresConnection(url).query("SELECT current_database()").string(0, 0) == "postgres")
        #expect(try PostgresConnection(cluster.connectionString()).serverVersion >= 150000)
    }

    @Test func unreachableServerFailsWithOneClearLine() throws {
        let port = try LocalClusterPort.free()
        #expect {
            try PostgresConnection.connect("host=127.0.0.1 port=\(port) connect_timeout=2", retry: .never)
        } throws: { error in
            guard let error = error as? PostgresError else { return false }
            return error.code == .connection && !error.description.contains("\n")
                && error.description.contains("could not connect")
        }
    }

    @Test func reconnectsAfterTheServerKillsTheSession() throws {
        let connection = try TestDatabase.connect("reconnect")
        let admin = try PostgresConnection(try TestDatabase.cluster().connectionString())
        let pid = try #require(try connection.query("SELECT pg_backend_pid()").string(0, 0))
        #expect(try admin.query("SELECT pg_terminate_backend($1::int)", [pid]).string(0, 0) == "t")
        var attempts = 0
        let retry = RetryPolicy(initialDelay: 0.05, deadline: HangGuard.limitInSeconds)
        let answer = try connection.withReconnect(retry: retry) {
            attempts += 1
            return try $0.query("SELECT 7, pg_backend_pid()").rows.first
        }
        #expect(answer?[0] == "7")
        // A new session: another backend answered, and the first attempt, on the killed one, failed.
        let newPID = try #require(answer?[1] ?? nil)
        #expect(newPID != pid)
        #expect(attempts >= 2)
        #expect(try admin.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int", [pid]).string(0, 0) == "0")
    }
}
