import Foundation
import SluicePostgres
import Testing

@testable import SluiceLoader

/// The loader's session: what PostgreSQL sees of it, so that a backend whose loader vanished ends (and
/// releases its locks) within about 30 s, and a statement stuck behind a lock is cancelled.
@Suite struct LoaderSessionTests {
    @Test func theSessionCarriesTimeoutsAndKeepalives() throws {
        let fixture = try LoaderFixture("session")
        var configuration = fixture.configuration()
        configuration.statementTimeout = .seconds(90)
        let loader = SpoolLoader(configuration: configuration, logger: .init(label: "test.loader"))
        let session = try loader.openConnection()
        func show(_ name: String) throws -> String? { try session.query("SHOW \(name)").string(0, 0) }
        #expect(try show("statement_timeout") == "90s")
        // These four read back the socket's own option, as a plain number (milliseconds, seconds, count).
        #expect(try show("tcp_user_timeout") == "30000")
        #expect(try show("tcp_keepalives_idle") == "10")
        #expect(try show("tcp_keepalives_interval") == "5")
        #expect(try show("tcp_keepalives_count") == "3")
        #expect(try show("synchronous_commit") == "on")
        #expect(try show("application_name") == "sluice loader node-a")
        // The default.
        let plain = fixture.loader()
        #expect(try plain.openConnection().query("SHOW statement_timeout").string(0, 0) == "2min")
    }

    @Test func aStatementStuckBehindALockIsCancelledAndTheBatchRetried() throws {
        let fixture = try LoaderFixture("stuck")
        var configuration = fixture.configuration()
        configuration.statementTimeout = .milliseconds(500)
        let loader = SpoolLoader(configuration: configuration, logger: .init(label: "test.loader"))
        _ = try loader.committedPosition()
        let writer = try fixture.writer()
        _ = try writer.append(Payload.bytes(Payload.rows(0, 10)))
        try writer.sync()

        // A lock that blocks every COPY into the table, held by an open transaction.
        let blocker = try PostgresConnection(fixture.connectionString)
        try blocker.execute("BEGIN; LOCK TABLE analytics.events IN SHARE MODE")
        #expect {
            _ = try loader.loadAvailable()
        } throws: { error in
            (error as? PostgresError)?.sqlState == "57014"
        }
        #expect(try fixture.count() == 0)
        try blocker.execute("COMMIT")
        let report = try loader.loadAvailable()
        #expect(report.rows == 10, "the same batch loads once the lock is gone")
        #expect(try fixture.count() == 10)
    }
}
