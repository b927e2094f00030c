import Foundation
import SluicePostgres
import Testing

/// The results endpoint counts in the database at each request, on the Stats API's query pool: a count that
/// cannot finish (here, a table locked by another session) is cut off by the pool's `statement_timeout` and
/// answered 503 with `Retry-After`, and the next request is answered once the lock is gone.
@Suite struct ResultsTimeoutTests {
    @Test func aResultsCountPastTheStatementTimeoutIsAnswered503() async throws {
        let server = try ExperimentsServer(label: "results-timeout")
        try server.save(#"{"key":"checkout","variations":["control","treatment"],"goalEvent":"Order Completed"}"#)
        // allow-timing: the statement timeout under test, far below the hang guard.
        try await server.run(statementTimeout: .milliseconds(500)) { running in
            let locker = try PostgresConnection(running.server.connectionString)
            try locker.execute("BEGIN; LOCK TABLE experiments.assignments IN ACCESS EXCLUSIVE MODE")
            let refused = try await running.results("checkout", bearer: server.readKey)
            #expect(refused.status == 503 && refused.errorCode == "unavailable" && refused.retryAfter == "1")
            #expect(refused.body.contains("statement timeout"), "\(refused.body)")
            try locker.execute("COMMIT")
            let answered = try await running.results("checkout", bearer: server.readKey)
            #expect(answered.status == 200, "\(answered.body)")
        }
    }
}
