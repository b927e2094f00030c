import Logging
import SluicePostgres
import SluiceStatsAPI
import SluiceTestSupport
import Testing

/// A query that loses a conflict with another transaction (40001, 40P01: a recovery conflict on a hot
/// standby, a deadlock) fails alone: the pool does not take it for the database being away and goes on
/// answering every other query.
@Suite struct StatsQueryConflictTests {
    @Test func aLostConflictIsThatQuerysOwn503AndNoOutage() async throws {
        let database = try TestDatabase.fresh("statsconflict")
        var logger = Logger(label: "sluice-stats-test")
        logger.logLevel = .critical
        let pool = StatsQueryPool(configuration: StatsAPIConfiguration(connectionString: database), logger: logger)
        defer { pool.stop() }

        for sqlState in ["40001", "40P01"] {
            let conflicted: StatsAPIError? = await {
                do {
                    try await pool.run { connection -> Void in
                        _ = try connection.execute(
                            "DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '\(sqlState)'; END $$")
                    }
                    return nil
                } catch {
                    return error as? StatsAPIError
                }
            }()
            #expect(conflicted?.code == .unavailable, "\(sqlState): \(String(describing: conflicted))")
            #expect(conflicted?.retryAfterSeconds == 1)
            #expect(conflicted?.message.contains("conflict") == true, "\(String(describing: conflicted))")

            // The next query runs at once: no outage window was opened.
            let answer = try await pool.run { connection in try connection.query("SELECT 42").int(0, 0) }
            #expect(answer == 42, "after \(sqlState)")
        }
    }
}
