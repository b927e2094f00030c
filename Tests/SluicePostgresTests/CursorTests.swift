import SluicePostgres
import SluiceTestSupport
import Testing

/// `forEachBatch(of:)`: a query's rows through a server-side cursor, one `FETCH` at a time.
@Suite struct CursorTests {
    @Test func handsOverEveryRowInBatchesInOrder() throws {
        let connection = try TestDatabase.connect("cursor")
        var batches: [Int] = []
        var values: [Int] = []
        let total = try connection.forEachBatch(
            of: "SELECT n FROM generate_series(1, $1::int) AS n ORDER BY n", ["2500"], batchRows: 1_000
        ) { batch in
            batches.append(batch.rowCount)
            for row in 0..<batch.rowCount { values.append(try batch.int(row, 0)!) }
        }
        #expect(total == 2_500)
        #expect(batches == [1_000, 1_000, 500])
        #expect(values == Array(1...2_500))
        // Its own transaction was committed: the session is idle again.
        #expect(try connection.query("SELECT 1").int(0, 0) == 1)
        let exact = try connection.forEachBatch(of: "SELECT 1 FROM generate_series(1, 10)", batchRows: 5) { _ in }
        #expect(exact == 10)
        let empty = try connection.forEachBatch(of: "SELECT 1 WHERE false") { _ in Issue.record("no rows") }
        #expect(empty == 0)
    }

    @Test func insideATransactionItLeavesTheTransactionOpen() throws {
        let connection = try TestDatabase.connect("cursortx")
        try connection.execute("CREATE TABLE t (n int)")
        try connection.execute("BEGIN")
        try connection.execute("INSERT INTO t VALUES (1), (2), (3)")
        var seen = 0
        try connection.forEachBatch(of: "SELECT n FROM t", batchRows: 2) { seen += $0.rowCount }
        #expect(seen == 3, "sees the transaction's own rows")
        try connection.execute("ROLLBACK")
        #expect(try connection.query("SELECT count(*) FROM t").int(0, 0) == 0, "the caller's transaction decided")
    }

    @Test func aFailureInTheBodyOrTheQueryLeavesTheSessionUsable() throws {
        struct Stop: Error {}
        let connection = try TestDatabase.connect("cursorfail")
        #expect(throws: Stop.self) {
            try connection.forEachBatch(of: "SELECT n FROM generate_series(1, 100) AS n", batchRows: 10) { _ in
                throw Stop()
            }
        }
        #expect(throws: PostgresError.self) {
            try connection.forEachBatch(of: "SELECT 1 / (n - 50) FROM generate_series(1, 100) AS n", batchRows: 10) {
                _ in
            }
        }
        #expect(try connection.query("SELECT 1").int(0, 0) == 1)
        // A nested cursor on the same connection gets its own name.
        var inner = 0
        try connection.forEachBatch(of: "SELECT 1 FROM generate_series(1, 3)", batchRows: 1) { _ in
            inner += try connection.forEachBatch(of: "SELECT 1 FROM generate_series(1, 2)") { _ in }
        }
        #expect(inner == 6)
    }
}
