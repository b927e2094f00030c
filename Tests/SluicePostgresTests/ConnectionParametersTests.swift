import Foundation
import SluicePostgres
import SluiceTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every connection carries TCP keepalives and a `tcp_user_timeout`, so a peer that vanished without closing
/// the connection is noticed within about 30 s; a connection string can still set its own values, in either
/// conninfo or URL form.
@Suite struct ConnectionParametersTests {
    /// The value of a socket option of `connection`'s socket.
    private func option(_ connection: PostgresConnection, _ level: Int32, _ name: Int32) throws -> Int32 {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        let status = getsockopt(connection.socketDescriptor, level, name, &value, &length)
        try #require(status == 0, "getsockopt failed: errno \(errno)")
        return value
    }

    @Test func theDefaultsAreOnTheSocket() throws {
        let connection = try PostgresConnection(try TestDatabase.fresh("keepalive"))
        #expect(try option(connection, SOL_SOCKET, SO_KEEPALIVE) == 1)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 10)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_KEEPINTVL) == 5)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_KEEPCNT) == 3)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 30_000)
        #expect(try connection.query("SELECT 1").int(0, 0) == 1)
    }

    @Test func aConnectionStringOverridesTheDefaults() throws {
        let conninfo = try TestDatabase.fresh("override") + " tcp_user_timeout=5000 keepalives_idle=7"
        let connection = try PostgresConnection(conninfo)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 5_000)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_KEEPIDLE) == 7)
        #expect(try option(connection, Int32(IPPROTO_TCP), TCP_KEEPCNT) == 3, "the others keep their defaults")
        #expect(connection.connectionString == conninfo)
    }

    @Test func aURLGetsTheDefaultsAndMayOverrideThem() throws {
        let cluster = try TestDatabase.cluster()
        let url = "postgresql://postgres@127.0.0.1:\(cluster.port)/postgres"
        let plain = try PostgresConnection(url)
        #expect(try option(plain, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 30_000)
        let tuned = try PostgresConnection(url + "?tcp_user_timeout=12000&application_name=url-test")
        #expect(try option(tuned, Int32(IPPROTO_TCP), TCP_USER_TIMEOUT) == 12_000)
        #expect(try tuned.query("SHOW application_name").string(0, 0) == "url-test")
    }

    @Test func aMalformedStringStillFailsWithLibpqsMessage() {
        #expect {
            _ = try PostgresConnection("host=127.0.0.1 port=notaport")
        } throws: { error in
            "\(error)".contains("\"notaport\"") && (error as? PostgresError)?.code == .connection
        }
        #expect {
            _ = try PostgresConnection("postgresql://[broken")
        } throws: { error in
            (error as? PostgresError)?.code == .connection
        }
    }
}
