import SluicePostgres
import SluiceTestSupport
import Testing

@Suite struct CopyToTests {
    @Test func copiesOutAndBackInPieces() throws {
        let connection = try TestDatabase.connect("copyto")
        try connection.execute(
            "CREATE TABLE a AS SELECT g AS id, repeat('x', g % 50) AS name FROM generate_series(1, 3000) g"
        )
        try connection.execute("CREATE TABLE b (LIKE a)")
        var stream: [UInt8] = []
        var messages = 0
        let sent = try connection.copyTo("COPY a TO STDOUT (FORMAT binary)") { bytes in
            stream += bytes
            messages += 1
        }
        #expect(sent == 3000 && messages > 1)
        #expect(Array(stream.prefix(11)) == [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00])
        let loaded = try connection.copyFromStream("COPY b FROM STDIN (FORMAT binary)") { send in
            var start = 0
            while start < stream.count {
                try send(Array(stream[start..<min(start + 1000, stream.count)]))
                start += 1000
            }
        }
        #expect(loaded == 3000)
        #expect(try connection.query("SELECT count(*) FROM (TABLE a EXCEPT TABLE b) d").int(0, 0) == 0)
    }

    @Test func refusesWhatIsNotACopyToAndStaysUsable() throws {
        let connection = try TestDatabase.connect("copytobad")
        #expect(throws: PostgresError.self) { try connection.copyTo("SELECT 1") { _ in } }
        #expect(throws: PostgresError.self) { try connection.copyTo("COPY nosuch TO STDOUT") { _ in } }
        struct Stop: Error {}
        try connection.execute("CREATE TABLE c AS SELECT generate_series(1, 100) AS id")
        #expect(throws: Stop.self) { try connection.copyTo("COPY c TO STDOUT (FORMAT binary)") { _ in throw Stop() } }
        #expect(try connection.query("SELECT count(*) FROM c").int(0, 0) == 100, "the connection is ready again")
    }
}
